import CMCDaemon
import CMCStream

/// How well a daemon labels continuous streams, scored the way temporal action detection is
/// (docs/deployment.md, "Stream scores"). Every event is placed on its stream's timeline by its
/// sender-clock fields (`window_end_sensor_ns`, `start_sensor_ns`/`end_sensor_ns`), exact in every
/// clock mode and at any replay speed.
///
/// - `window_accuracy`: each window label against the truth at the window's centre — the clip playing
///   there, or `idle` between clips; "unknown" counts as wrong.
/// - `event_precision` / `event_recall` / `event_f1`: an action event matches a clip when their
///   temporal IoU is at least `iouThreshold` (0.5) and the labels agree; each clip and each event
///   matches at most once (greedy, highest IoU first).
/// - `idle_false_events_per_min`: action events whose centre lies in an idle gap, per minute of idle
///   time on the replayed timelines.
/// - `event_latency_ms`: for each clip with an event at IoU ≥ 0.5 (label right or wrong), from the
///   moment the frame holding the clip's last sample left the replayer to the event's arrival
///   (negative when the action's motion ended early enough for the event to beat the clip's end).
/// - `clip_accuracy`: the same clips classified whole, offline, by the same model (reference).
/// - `focus`: with focus classes given (e.g. SmartFallMM's falls), detection restricted to them
///   (`FocusScores`: strict and lenient about which focus label).
public struct StreamScores: Codable, Sendable, Equatable {
    public var windowAccuracy: Double?
    public var windowsScored: Int
    public var idleWindows: Int
    public var eventPrecision: Double?
    public var eventRecall: Double?
    public var eventF1: Double?
    public var events: Int
    public var eventsMatched: Int
    /// Clips found at IoU ≥ 0.5 whatever the label (segmentation quality alone).
    public var clipsDetected: Int
    public var clips: Int
    public var idleFalseEventsPerMin: Double?
    public var idleMinutes: Double
    public var eventLatencyMs: LatencyStats
    public var clipAccuracy: Double?
    public var iouThreshold: Double
    /// Scores of the focus classes, when some were named.
    public var focus: FocusScores?

    enum CodingKeys: String, CodingKey {
        case windowAccuracy = "window_accuracy", windowsScored = "windows_scored", idleWindows = "idle_windows"
        case eventPrecision = "event_precision", eventRecall = "event_recall", eventF1 = "event_f1", events
        case eventsMatched = "events_matched", clipsDetected = "clips_detected", clips
        case idleFalseEventsPerMin = "idle_false_events_per_min", idleMinutes = "idle_minutes"
        case eventLatencyMs = "event_latency_ms", clipAccuracy = "clip_accuracy", iouThreshold = "iou_threshold", focus
    }

    /// Temporal IoU of two intervals (seconds).
    public static func iou(_ a: (start: Double, end: Double), _ b: (start: Double, end: Double)) -> Double {
        let inter = max(0, min(a.end, b.end) - max(a.start, b.start))
        let union = max(a.end, b.end) - min(a.start, b.start)
        return union > 0 ? inter / union : 0
    }

    /// An action event on a stream's timeline, for scoring.
    public struct PlacedAction: Sendable {
        public var stream: Int
        public var start: Double
        public var end: Double
        public var label: String
        public var receivedAt: Int64
    }

    /// A window label on a stream's timeline: its centre.
    public struct PlacedLabel: Sendable {
        public var stream: Int
        public var centre: Double
        public var label: String
    }

    /// - Parameters:
    ///   - focus: classes whose detection is also scored on its own (`FocusScores`); none: no `focus`.
    ///   - completion: when the data of a stream up to a timeline instant (s) had been sent.
    public static func score(
        scripts: [StreamScript], labels: [PlacedLabel], actions: [PlacedAction], iouThreshold: Double = 0.5,
        focus: [String] = [], completion: (Int, Double) -> Int64?
    ) -> StreamScores {
        var s = StreamScores(
            windowsScored: 0, idleWindows: 0, events: actions.count, eventsMatched: 0, clipsDetected: 0,
            clips: scripts.reduce(0) { $0 + $1.clips.count }, idleMinutes: 0, eventLatencyMs: LatencyStats([]),
            iouThreshold: iouThreshold)
        // Windows.
        var right = 0
        for l in labels where l.stream < scripts.count && l.centre >= 0 && l.centre <= scripts[l.stream].duration {
            let script = scripts[l.stream]
            let truth = script.clipIndex(at: l.centre).map { script.clips[$0].className } ?? LabelEvent.idleLabel
            if truth == LabelEvent.idleLabel { s.idleWindows += 1 }
            s.windowsScored += 1
            if l.label == truth { right += 1 }
        }
        if s.windowsScored > 0 { s.windowAccuracy = Double(right) / Double(s.windowsScored) }

        // Events against clips, per stream.
        var latencies: [Double] = []
        var falseIdle = 0
        for (index, script) in scripts.enumerated() {
            let mine = actions.filter { $0.stream == index }
            for a in mine where script.clipIndex(at: (a.start + a.end) / 2) == nil { falseIdle += 1 }
            var idle = script.duration
            for c in script.clips { idle -= c.duration }
            s.idleMinutes += max(0, idle) / 60

            let pairs = TemporalMatching.candidates(events: mine, clips: script.clips, threshold: iouThreshold)
            // Detection (any label) for latency and segmentation quality; matching (same label) for P/R.
            let detected = TemporalMatching.greedy(pairs)
            for p in detected {
                // Negative when the event came before the clip's last frame (its end was rest).
                if let sent = completion(index, script.clips[p.clip].end) {
                    latencies.append(Double(mine[p.event].receivedAt - sent) * 1e-6)
                }
            }
            let matched = TemporalMatching.greedy(pairs) { mine[$0.event].label == script.clips[$0.clip].className }
            s.clipsDetected += detected.count
            s.eventsMatched += matched.count
        }
        if s.events > 0 { s.eventPrecision = Double(s.eventsMatched) / Double(s.events) }
        if s.clips > 0 { s.eventRecall = Double(s.eventsMatched) / Double(s.clips) }
        if let p = s.eventPrecision, let r = s.eventRecall { s.eventF1 = p + r > 0 ? 2 * p * r / (p + r) : 0 }
        if s.idleMinutes > 0 { s.idleFalseEventsPerMin = Double(falseIdle) / s.idleMinutes }
        s.eventLatencyMs = LatencyStats(latencies)
        if !focus.isEmpty {
            s.focus = FocusScores(classes: focus, scripts: scripts, actions: actions, iouThreshold: iouThreshold)
        }
        return s
    }
}
