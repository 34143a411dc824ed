import CMCDaemon
import CMCStream

/// Stream-level accuracy and latency of label events against the replayed ground truth.
///
/// Each label event is placed on its stream's timeline: its window `(start, end]` is in the daemon's
/// time base (`clock` of the event). With `shared` the bounds are the sensor timestamps themselves;
/// with `monotonic` the daemon mapped each sensor clock onto its own by the smallest observed
/// `arrival − timestamp`, which the replay knows from its send log and undoes (exact to the
/// transport delay in real time; to about one frame when replaying faster than real time).
///
/// Then, with W the window length:
/// - **idle**: the window ends between clips — not scored (no model has an "idle" class);
/// - **transition**: it ends inside a clip but overlaps that clip by less than `minCoverage ×
///   min(W, clip length)` — mostly the previous activity or idle data; not scored;
/// - **scored**: the clip active at the window's end is the truth. `accuracy` uses the published
///   (smoothed) label, "unknown" counting as wrong; `raw_accuracy` the window's own best class.
/// `clip_vote_accuracy` takes, per clip, the majority of its scored windows' raw decisions: the
/// streaming counterpart of classifying whole clips offline.
///
/// Latency: from the moment the frame completing the window's data left the replayer to the moment
/// the label arrived (both CLOCK_MONOTONIC on this host).
public struct StreamEvaluation: Codable, Sendable {
    public var streams: Int
    public var clips: Int
    public var labels: Int
    /// Events for subjects this replay did not send (another source on the same daemon).
    public var foreignLabels: Int
    public var idle: Int
    public var transition: Int
    public var scored: Int
    public var accuracy: Double?
    public var rawAccuracy: Double?
    public var unknownRate: Double?
    public var clipVoteAccuracy: Double?
    public var clipsScored: Int
    public var fallbackLabels: Int
    public var latencyMs: LatencyStats
    public var daemonEndToEndMs: LatencyStats
    public var inferenceMs: LatencyStats
    public var minCoverage: Double
    public var notes: [String]
    /// Window and action-event scores (`StreamScores`).
    public var stream: StreamScores?

    enum CodingKeys: String, CodingKey {
        case streams, clips, labels, idle, transition, scored, accuracy, notes, stream
        case foreignLabels = "foreign_labels", rawAccuracy = "raw_accuracy", unknownRate = "unknown_rate"
        case clipVoteAccuracy = "clip_vote_accuracy", clipsScored = "clips_scored", fallbackLabels = "fallback_labels"
        case latencyMs = "latency_ms", daemonEndToEndMs = "daemon_end_to_end_ms", inferenceMs = "inference_ms",
            minCoverage = "min_coverage"
    }

    /// One event placed on its stream's timeline.
    public struct Placed: Sendable {
        public enum Verdict: String, Sendable { case idle, transition, scored }
        public var stream: Int
        /// Timeline seconds of the window's end.
        public var end: Double
        public var verdict: Verdict
        public var truth: String?
        public var latencyMs: Double?
    }

    public static func evaluate(
        scripts: [StreamScript], log: SendLog, labels: [LabelCollector.Received],
        actions: [LabelCollector.ReceivedAction] = [], minCoverage: Double = 0.75,
        focusClasses: [String] = []
    ) -> StreamEvaluation {
        let tracks = SendTracks(log: log, streams: scripts)
        let streamOf = Dictionary(
            scripts.enumerated().map { ($0.element.subject, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var result = StreamEvaluation(
            streams: scripts.count, clips: scripts.reduce(0) { $0 + $1.clips.count }, labels: 0, foreignLabels: 0,
            idle: 0, transition: 0, scored: 0, clipsScored: 0, fallbackLabels: 0,
            latencyMs: LatencyStats([]), daemonEndToEndMs: LatencyStats([]), inferenceMs: LatencyStats([]),
            minCoverage: minCoverage, notes: [])
        var correct = 0
        var rawCorrect = 0
        var unknown = 0
        var latencies: [Double] = []
        var endToEnd: [Double] = []
        var inference: [Double] = []
        var votes: [Int: [Int: [String]]] = [:] // stream → clip → raw labels
        var centres: [StreamScores.PlacedLabel] = []
        for received in labels {
            guard let stream = streamOf[received.event.subject] else {
                result.foreignLabels += 1
                continue
            }
            let e = received.event
            result.labels += 1
            if e.fallback { result.fallbackLabels += 1 }
            endToEnd.append(e.endToEndMilliseconds)
            inference.append(e.inferenceMilliseconds)
            let placed = place(
                received, stream: stream, script: scripts[stream], tracks: tracks, origin: log.origin,
                minCoverage: minCoverage)
            if let l = placed.latencyMs { latencies.append(l) }
            // `placed.end` is the window's end on the timeline; the label describes its centre.
            let centre = placed.end - Double(e.windowEndNanoseconds &- e.labelTimeNanoseconds) * 1e-9
            centres.append(StreamScores.PlacedLabel(stream: stream, centre: centre, label: e.label))
            switch placed.verdict {
            case .idle: result.idle += 1
            case .transition: result.transition += 1
            case .scored:
                result.scored += 1
                let truth = placed.truth ?? ""
                if e.label == truth { correct += 1 }
                if e.raw.label == truth { rawCorrect += 1 }
                if e.labelIndex < 0 { unknown += 1 }
                if let clip = scripts[stream].clipIndex(at: placed.end) {
                    votes[stream, default: [:]][clip, default: []].append(e.raw.label)
                }
            }
        }
        if result.scored > 0 {
            let n = Double(result.scored)
            result.accuracy = Double(correct) / n
            result.rawAccuracy = Double(rawCorrect) / n
            result.unknownRate = Double(unknown) / n
        }
        var clipHits = 0
        for (stream, clips) in votes {
            for (clip, decisions) in clips {
                let counts = Dictionary(decisions.map { ($0, 1) }, uniquingKeysWith: +)
                // Ties go to the earliest decision among the most frequent (deterministic).
                let best = counts.values.max() ?? 0
                let winner = decisions.first { counts[$0] == best }
                result.clipsScored += 1
                if winner == scripts[stream].clips[clip].className { clipHits += 1 }
            }
        }
        if result.clipsScored > 0 { result.clipVoteAccuracy = Double(clipHits) / Double(result.clipsScored) }
        if result.clips > result.clipsScored && result.clips > 0 {
            result.notes.append(
                "\(result.clips - result.clipsScored) of \(result.clips) clips got no scored window "
                    + "(shorter than the coverage rule allows, or no label)")
        }
        if labels.contains(where: { $0.event.clock != "shared" && $0.event.windowEndSensorNanoseconds == nil })
            && log.speed != 1
        {
            result.notes.append(
                "daemon clock is monotonic and the replay ran at speed \(log.speed): window placement is approximate (about one frame)"
            )
        }
        let placedActions = actions.compactMap { a -> StreamScores.PlacedAction? in
            guard let stream = streamOf[a.event.subject] else { return nil }
            return StreamScores.PlacedAction(
                stream: stream, start: Double(a.event.startSensorNanoseconds &- log.origin) * 1e-9,
                end: Double(a.event.endSensorNanoseconds &- log.origin) * 1e-9, label: a.event.label,
                receivedAt: a.receivedAt)
        }
        result.stream = StreamScores.score(
            scripts: scripts, labels: centres, actions: placedActions, focus: focusClasses
        ) { stream, t in
            tracks.completion(stream: stream, timelineEnd: Int64(t * 1e9))
        }
        result.latencyMs = LatencyStats(latencies)
        result.daemonEndToEndMs = LatencyStats(endToEnd)
        result.inferenceMs = LatencyStats(inference)
        return result
    }

    /// Places one event on its stream's timeline and scores it against the clip there.
    static func place(
        _ received: LabelCollector.Received, stream: Int, script: StreamScript, tracks: SendTracks, origin: Int64,
        minCoverage: Double
    ) -> Placed {
        let e = received.event
        let readyAt = received.receivedAt - Int64(e.endToEndMilliseconds * 1e6)
        // The sender-clock end is exact in every mode; older daemons only give the daemon timeline.
        let offset = e.clock == "shared" ? 0 : tracks.clockOffset(stream: stream, at: readyAt)
        let endNs = e.windowEndSensorNanoseconds.map { $0 &- origin } ?? (e.windowEndNanoseconds &- offset &- origin)
        let end = Double(endNs) * 1e-9
        let length = Double(e.windowEndNanoseconds &- e.windowStartNanoseconds) * 1e-9
        var latency: Double?
        if let sent = tracks.completion(stream: stream, timelineEnd: endNs), sent <= received.receivedAt {
            latency = Double(received.receivedAt - sent) * 1e-6
        }
        guard let index = script.clipIndex(at: end) else {
            return Placed(stream: stream, end: end, verdict: .idle, latencyMs: latency)
        }
        let clip = script.clips[index]
        let overlap = min(end, clip.end) - max(end - length, clip.start)
        let needed = minCoverage * min(length, clip.duration)
        return Placed(
            stream: stream, end: end, verdict: overlap + 1e-9 >= needed ? .scored : .transition, truth: clip.className,
            latencyMs: latency)
    }
}

/// The send log indexed per stream: when each frame left, how far each stream's data had got, and the
/// clock offset a daemon in aligned mode would have estimated from it.
struct SendTracks {
    struct Track {
        var sentAt: [Int64] = []
        /// Timeline ns up to which every modality of the stream has been sent (Int64.min before that).
        var complete: [Int64] = []
        /// Per modality (0 IMU, 1 skeleton): running minimum of `sent − timestamp` (Int64.max before any).
        var delay: [[Int64]] = [[], []]
    }

    var tracks: [Track]

    init(log: SendLog, streams: [StreamScript]) {
        tracks = Array(repeating: Track(), count: streams.count)
        var newest = Array(repeating: [Int64.min, Int64.min], count: streams.count)
        var minDelay = Array(repeating: [Int64.max, Int64.max], count: streams.count)
        let present = streams.map { [$0.imu != nil, $0.skeleton != nil] }
        for r in log.records {
            let s = Int(r.stream)
            let m = r.modality == .inertial ? 0 : 1
            guard s < streams.count else { continue }
            newest[s][m] = max(newest[s][m], r.lastSample)
            minDelay[s][m] = min(minDelay[s][m], r.sentAt - (log.origin + r.lastSample))
            tracks[s].sentAt.append(r.sentAt)
            tracks[s].complete.append((0..<2).filter { present[s][$0] }.map { newest[s][$0] }.min() ?? Int64.min)
            tracks[s].delay[0].append(minDelay[s][0])
            tracks[s].delay[1].append(minDelay[s][1])
        }
    }

    /// The aligned-clock offset (daemon − sensor) as of `time`: the mean of the modalities' estimates.
    func clockOffset(stream: Int, at time: Int64) -> Int64 {
        let t = tracks[stream]
        guard let i = lastIndex(t.sentAt, atOrBefore: time) else { return 0 }
        let known = [t.delay[0][i], t.delay[1][i]].filter { $0 != Int64.max }
        return known.isEmpty ? 0 : known.reduce(0, +) / Int64(known.count)
    }

    /// When the frame that completed the data up to `timelineEnd` left (1 ms tolerance).
    func completion(stream: Int, timelineEnd: Int64) -> Int64? {
        let t = tracks[stream]
        var lo = 0
        var hi = t.complete.count
        while lo < hi { // `complete` never decreases
            let mid = (lo + hi) / 2
            if t.complete[mid] < timelineEnd - 1_000_000 { lo = mid + 1 } else { hi = mid }
        }
        return lo < t.sentAt.count ? t.sentAt[lo] : nil
    }

    private func lastIndex(_ sorted: [Int64], atOrBefore time: Int64) -> Int? {
        var lo = 0
        var hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] <= time { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? lo - 1 : nil
    }
}
