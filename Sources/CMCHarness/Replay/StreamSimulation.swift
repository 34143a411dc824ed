import CMCCore
import CMCDaemon
import CMCData
import CMCStream
import Foundation

/// Runs scripted streams through the daemon's own `WindowAssembler` and `EventComposer` on a virtual
/// clock: no sockets, no threads, no waiting. Every frame arrives exactly when its last sample was
/// taken (plus `transportSeconds`), every window is classified the moment it is cut, bookkeeping runs
/// every `PipelineConfig.tickSeconds` of virtual time — so a session of minutes is decided in seconds,
/// with the daemon's decisions, for evaluation (`cmc-replay --offline`) and for cutting training
/// windows (`cmc-train stream-head`) with the very code that cuts them in `cmcd`.
///
/// What it cannot show: queueing and the busy skips of a loaded daemon (inference time is measured and
/// added to the event's arrival, but windows never wait for a worker).
public struct StreamSimulation: Sendable {
    public var config: PipelineConfig
    public var imuChunk = SendOptions().imuChunk
    public var skeletonChunk = SendOptions().skeletonChunk
    /// Delay between a frame's last sample and its arrival.
    public var transportSeconds = 0.001

    public init(config: PipelineConfig = .defaults) { self.config = config }

    /// Sensor clock at timeline 0 (an arbitrary instant well clear of zero, as on a real sensor).
    public static let origin: Int64 = 1_000_000_000_000

    public struct Output: Sendable {
        /// Every published event, in publication order, with the index of its script.
        public var events: [(stream: Int, event: PublishedEvent, publishedAt: Int64)] = []
        /// Windows the classifier failed on.
        public var failures = 0
        /// Every frame as if sent: it arrives when its last sample is taken (plus transport), on the
        /// sensor clock `StreamSimulation.origin` + timeline — what the live evaluation keeps too, so the
        /// scores place events and measure latency with the same `SendTracks`.
        public var log = SendLog(origin: StreamSimulation.origin, startedAt: StreamSimulation.origin, speed: 0)
    }

    /// Runs every script; `observe` sees each classified window with its probabilities (or the error).
    public func run(
        scripts: [StreamScript], classifier: any WindowClassifier,
        observe: ((Window, Result<[Float], ClassifierFailure>) -> Void)? = nil
    ) -> Output {
        var assembler = WindowAssembler(
            spec: classifier.spec, buffer: config.buffer, clock: config.clock,
            hopSeconds: config.hopSeconds, segmentation: config.segmentation)
        var composer = EventComposer(smoothing: config.smoothing, clock: config.clock.eventClock)
        var output = Output()
        let streamOf = Dictionary(
            scripts.enumerated().map { ($0.element.subject, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let transport = Int64(transportSeconds * 1e9)
        let tick = Int64(config.tickSeconds * 1e9)
        var nextTick = Self.origin

        func classify(_ window: Window, now: Int64) {
            let started = MonotonicClock.now()
            let result = classifier.checkedProbabilities(batch: [window])[0]
            let elapsed = MonotonicClock.now() - started
            if case .periodic = window.purpose { assembler.finished(subject: window.subject) }
            observe?(window, result)
            guard case .success(let p) = result else {
                output.failures += 1
                return
            }
            let timing = EventComposer.Timing(inferenceSeconds: Double(elapsed) * 1e-9, now: now + elapsed)
            if let event = composer.event(
                for: window, probabilities: p, classNames: classifier.spec.classNames,
                spec: classifier.spec, modelID: classifier.spec.modelID, timing: timing),
                let stream = streamOf[window.subject]
            {
                output.events.append((stream, event, now + elapsed))
            }
        }
        func housekeeping(until now: Int64) {
            while nextTick <= now {
                for window in assembler.closeSilentActions(now: nextTick) { classify(window, now: nextTick) }
                for eviction in assembler.evictIdle(now: nextTick) { composer.forget(subject: eviction.subject) }
                nextTick += tick
            }
        }

        for scheduled in FrameSchedule.frames(scripts, imuChunk: imuChunk, skeletonChunk: skeletonChunk) {
            var frame = scheduled.frame
            if case .regular(let t0, let period) = frame.timing {
                frame.timing = .regular(start: t0 + Self.origin, periodNanoseconds: period)
            }
            let arrival = Self.origin + scheduled.due + transport
            output.log.records.append(
                .init(stream: scheduled.stream, modality: frame.modality, sentAt: arrival, lastSample: scheduled.due))
            output.log.sent[frame.modality, default: 0] += 1
            housekeeping(until: arrival)
            guard case .buffered = (try? assembler.ingest(frame, arrival: arrival)) else { continue }
            for action in assembler.cutActions(subject: frame.subject, now: arrival) { classify(action, now: arrival) }
            if case .window(let window) = assembler.cut(subject: frame.subject, now: arrival) {
                if window.modalities.isEmpty {
                    if let event = composer.idle(for: window, now: arrival), let stream = streamOf[window.subject] {
                        output.events.append((stream, .label(event), arrival))
                    }
                } else {
                    classify(window, now: arrival)
                }
            }
        }
        // The streams end: the daemon notices the silence and closes the last actions.
        let end =
            Self.origin + Int64(((scripts.map(\.duration).max() ?? 0) + config.segmentation.offsetSeconds + 1) * 1e9)
        housekeeping(until: end)
        output.log.finishedAt = end
        return output
    }

    /// Runs `scripts` through the daemon's code with `classifier` and scores them; the reference
    /// `clip_accuracy` is `samples` (the clips as the daemon sees them) classified whole by the same bundle;
    /// `focus` classes are also scored on their own (`FocusScores`).
    public func evaluate(scripts: [StreamScript], samples: [Sample], classifier: BundleClassifier, focus: [String] = [])
        throws
        -> (output: Output, scores: StreamScores)
    {
        let output = run(scripts: scripts, classifier: classifier)
        var scores = Self.scores(scripts: scripts, output: output, focus: focus)
        scores.clipAccuracy = try ClipReference.accuracy(recognizer: classifier.recognizer, samples: samples)
        return (output, scores)
    }

    /// The window and event scores of a simulated run (`StreamScores`, as `cmc-replay --evaluate`).
    public static func scores(scripts: [StreamScript], output: Output, focus: [String] = []) -> StreamScores {
        var labels: [StreamScores.PlacedLabel] = []
        var actions: [StreamScores.PlacedAction] = []
        for (stream, event, publishedAt) in output.events {
            switch event {
            case .label(let e):
                guard let t = e.labelTimeSensorNanoseconds else { continue }
                labels.append(.init(stream: stream, centre: Double(t - origin) * 1e-9, label: e.label))
            case .action(let a):
                actions.append(
                    .init(
                        stream: stream, start: Double(a.startSensorNanoseconds - origin) * 1e-9,
                        end: Double(a.endSensorNanoseconds - origin) * 1e-9, label: a.label, receivedAt: publishedAt))
            }
        }
        let tracks = SendTracks(log: output.log, streams: scripts)
        return StreamScores.score(scripts: scripts, labels: labels, actions: actions, focus: focus) { stream, t in
            tracks.completion(stream: stream, timelineEnd: Int64(t * 1e9))
        }
    }
}
