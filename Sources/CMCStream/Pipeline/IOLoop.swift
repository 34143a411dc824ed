import Logging
import CMCCore
/// State shared between the pipeline facade, the I/O thread and the workers (all of it `Sendable`).
struct PipelineShared: Sendable {
    let config: PipelineConfig
    let metrics: PipelineMetrics
    let logger: Logger
    /// Limits what remote peers can make the pipeline log.
    let logLimits = LogRateLimits()
    let notifier: SystemdNotifier?
    let context: ZMQContext
    let classifier: Locked<(generation: Int, classifier: any WindowClassifier)>
    let queue: WorkQueue
    let results: Locked<[WorkResult]>
    let stopRequested: Locked<Bool>
    /// Why the I/O thread ended without being asked to (nil while running or after a clean stop).
    let failure: Locked<String?>
    /// Authenticates CURVE clients while the pipeline runs (nil without CURVE). Watched by the I/O
    /// thread: if it fails, the pipeline fails closed rather than serve unauthenticated peers.
    let zap: Locked<ZAPHandler?>
    let controlAddress: String
    let resultsAddress: String
    /// Prefix of the `inproc://` endpoints of the handshake monitors (CURVE only).
    let monitorAddress: String
}

/// The I/O thread: owns every socket of the pipeline and the `WindowAssembler`, so none of them needs
/// a lock. Created on that thread, lives and dies there (its sockets are not `Sendable`).
///
/// Each turn of the `zmq_poll` loop reads a bounded batch from each readable input (fairness under a
/// flood), feeds frames to the assembler, hands due windows to the workers, publishes the results the
/// workers posted back, and every tick does the bookkeeping (eviction, gauges, reload, watchdog).
final class IOLoop {
    private let shared: PipelineShared
    private let imu: ZMQSocket?
    private let skeleton: ZMQSocket?
    private let labels: ZMQSocket
    private let wake: ZMQSocket
    private let control: ZMQSocket
    /// Handshake monitors of the network sockets, by socket name (CURVE only).
    private var monitors: [(monitor: HandshakeMonitor, socket: String)] = []
    private var assembler: WindowAssembler
    private var classifier: any WindowClassifier
    private var generation: Int
    private var composer: EventComposer
    /// Action windows queued or being classified (they never wait for a subject's periodic window).
    private var actionsInFlight = 0
    /// Subject → CLOCK_MONOTONIC ns its window was handed to a worker (for the watchdog's health check).
    private var inFlight: [UInt32: Int64] = [:]
    private var lastTick: Int64 = 0
    private var lastWatchdog: Int64 = 0
    let bound: BoundEndpoints

    init(shared: PipelineShared) throws {
        self.shared = shared
        let config = shared.config
        (generation, classifier) = shared.classifier.current
        assembler = WindowAssembler(
            spec: classifier.spec, buffer: config.buffer, clock: config.clock, hopSeconds: config.hopSeconds,
            segmentation: config.segmentation)
        composer = EventComposer(smoothing: config.smoothing, clock: config.clock.eventClock)
        var bound = BoundEndpoints()
        var monitors: [(HandshakeMonitor, String)] = []
        // CURVE role and handshake monitor first: both apply to connections made after they are set.
        func attach(_ socket: ZMQSocket, _ endpoints: [Endpoint], domain: String, name: String) throws -> [String] {
            if let curve = config.curve {
                try socket.configureCurve(curve.role(for: endpoints, domain: domain))
                monitors.append((try HandshakeMonitor(watching: socket, endpoint: shared.monitorAddress + name), name))
            }
            return try socket.attach(endpoints)
        }
        func subscriber(_ endpoints: [Endpoint], _ modality: Modality) throws -> (ZMQSocket?, [String]) {
            guard !endpoints.isEmpty else { return (nil, []) }
            let socket = try ZMQSocket(context: shared.context, type: .sub)
            try socket.setHighWaterMarks(receive: config.receiveHighWaterMark)
            try socket.limitInboundMessages(toBytes: FrameCodec.maxInboundPartBytes)
            if let subjects = config.subjects {
                for subject in Set(subjects).sorted() { try socket.subscribe(Topic.frame(modality, subject: subject)) }
            } else {
                try socket.subscribe(modality.topicPrefix + "/")
            }
            return (
                socket, try attach(socket, endpoints, domain: PipelineCurve.framesDomain, name: modality.description)
            )
        }
        (imu, bound.imu) = try subscriber(config.imuEndpoints, .inertial)
        (skeleton, bound.skeleton) = try subscriber(config.skeletonEndpoints, .skeleton)
        // XPUB in manual mode rather than PUB: each consumer's subscriptions pass through the I/O thread,
        // which knows the consumer's key and applies only what its allow-list line grants. Subscribers
        // cannot tell the difference.
        labels = try ZMQSocket(context: shared.context, type: .xpub, lingerMilliseconds: config.labelLingerMilliseconds)
        try labels.manageSubscriptions()
        try labels.limitInboundMessages(toBytes: Topic.maxSubscriptionBytes)
        try labels.setHighWaterMarks(send: config.sendHighWaterMark)
        bound.labels = try attach(labels, config.labelEndpoints, domain: PipelineCurve.labelsDomain, name: "labels")
        wake = try ZMQSocket(context: shared.context, type: .pull)
        try wake.bind(shared.resultsAddress)
        control = try ZMQSocket(context: shared.context, type: .pull)
        try control.bind(shared.controlAddress)
        self.bound = bound
        self.monitors = monitors.map { (monitor: $0.0, socket: $0.1) }
    }

    /// Runs until a stop is requested (then drains) or the context is terminated.
    func run() {
        defer {
            for m in monitors { m.monitor.close() }
            for s in [imu, skeleton, labels, wake, control] { s?.close() }
        }
        let inputs: [(socket: ZMQSocket, modality: Modality)] =
            [imu.map { ($0, .inertial) }, skeleton.map { ($0, .skeleton) }].compactMap { $0 }
        let sockets = inputs.map(\.socket) + [wake, control, labels] + monitors.map(\.monitor.socket)
        let tick = Int64(shared.config.tickSeconds * 1e9)
        do {
            while !shared.stopRequested.current {
                let wait = max(0, Int((lastTick + tick - MonotonicClock.now()) / 1_000_000))
                let ready = try ZMQPoll.readable(sockets, timeoutMilliseconds: wait)
                for (i, input) in inputs.enumerated() where ready[i] {
                    try readFrames(input.socket, nominal: input.modality)
                }
                if ready[inputs.count] { try publishResults() }
                if ready[inputs.count + 1] { while try control.receive(dontWait: true) != nil {} }
                if ready[inputs.count + 2] { try grantSubscriptions() }
                for (i, m) in monitors.enumerated() where ready[inputs.count + 3 + i] {
                    try countHandshakes(m.monitor, socket: m.socket)
                }
                let now = MonotonicClock.now()
                if now - lastTick >= tick {
                    try housekeeping(now: now)
                    lastTick = now
                }
            }
            try drain()
        } catch let error as ZMQError where error.isTerminated {
            shared.failure.withLock { $0 = "ZeroMQ context terminated" }
            shared.logger.notice("ZeroMQ context terminated; I/O thread stops")
        } catch {
            shared.failure.withLock { $0 = "\(error)" }
            shared.logger.error("I/O thread failed: \(error)")
        }
    }

    // MARK: Input

    private func readFrames(_ socket: ZMQSocket, nominal: Modality) throws {
        let m = shared.metrics
        for _ in 0..<shared.config.maxMessagesPerPoll {
            guard let (parts, origin) = try socket.receiveWithSender(dontWait: true) else { return }
            let arrival = MonotonicClock.now()
            m.received(nominal).increment()
            let frame: SensorFrame
            do {
                frame = try FrameCodec.decode(message: parts)
            } catch {
                m.malformed(nominal, error.metricReason).increment()
                shared.logger.rateLimited(
                    "malformed.\(nominal).\(error.metricReason)", .warning, in: shared.logLimits,
                    "malformed \(nominal) frame: \(error)")
                continue
            }
            // Authentication says who sent it; the sensors' allow-list says for which subjects it may.
            if let user = origin.user, let sensors = shared.zap.current?.allowList(domain: PipelineCurve.framesDomain),
                !sensors.allows(user: user, subject: frame.subject)
            {
                m.dropped(nominal, .unauthorized).increment()
                shared.logger.rateLimited(
                    "unauthorized.\(nominal)", .warning, in: shared.logLimits,
                    "sensor \(user) may not publish \(nominal) frames for subject \(frame.subject): dropped")
                continue
            }
            let publisher = Publisher(origin)
            let outcome: WindowAssembler.IngestOutcome
            do {
                outcome = try assembler.ingest(frame, arrival: arrival, from: publisher)
            } catch {
                m.malformed(nominal, "model_mismatch").increment()
                // Keyed by field, not subject: subject ids come from the wire (the logger bounds keys anyway).
                shared.logger.rateLimited(
                    "mismatch.\(nominal).\(error.field)", .warning, in: shared.logLimits,
                    "\(nominal) frame of subject \(frame.subject) does not fit the model: \(error)")
                continue
            }
            switch outcome {
            case .dropped(let reason):
                m.dropped(nominal, reason).increment()
                shared.logger.rateLimited(
                    "drop.\(nominal).\(reason.rawValue)", .warning, in: shared.logLimits,
                    "dropped \(nominal) frame of subject \(frame.subject): \(reason.rawValue)")
            case .buffered(let lost, let reset, let resynced, let refused):
                if lost > 0 {
                    m.lost(nominal).increment(by: Double(lost))
                    shared.logger.rateLimited(
                        "lost.\(nominal)", .warning, in: shared.logLimits,
                        "\(lost) \(nominal) frames of subject \(frame.subject) lost upstream (sequence gap)")
                }
                if reset {
                    shared.logger.rateLimited(
                        "seqreset.\(nominal)", .notice, in: shared.logLimits,
                        "\(nominal) sequence of subject \(frame.subject) restarted")
                }
                if resynced {
                    m.resyncs(nominal).increment()
                    shared.logger.rateLimited(
                        "resync.\(nominal)", .notice, in: shared.logLimits,
                        "\(nominal) clock of subject \(frame.subject) stepped; re-synchronised")
                }
                if refused > 0 { m.refusedSamples(nominal).increment(by: Double(refused)) }
                if !shared.stopRequested.current { cutIfDue(frame.subject, publisher: publisher, now: arrival) }
            }
        }
    }

    private func cutIfDue(_ subject: UInt32, publisher: Publisher, now: Int64) {
        for action in assembler.cutActions(subject: subject, now: now) { enqueue(action, from: publisher) }
        switch assembler.cut(subject: subject, now: now) {
        case .notDue: break
        case .skipped(let reason): shared.metrics.skipped(reason).increment()
        case .window(let window) where window.modalities.isEmpty:
            // The centre lies between actions: idle, decided by the segmenter without inference.
            do { try publishIdle(window, now: now) } catch {
                shared.logger.rateLimited("publish", .error, in: shared.logLimits, "cannot publish: \(error)")
            }
        case .window(let window):
            inFlight[subject] = now
            enqueue(window, from: publisher)
        }
    }

    /// Hands a window to the workers in its publisher's lane. When the lane is full its oldest window
    /// is dropped (counted): its subject is free for its next window, which supersedes it anyway.
    private func enqueue(_ window: Window, from publisher: Publisher) {
        if case .action = window.purpose { actionsInFlight += 1 }
        let item = WorkItem(
            window: window, classifier: classifier, generation: generation, queuedAt: MonotonicClock.now())
        if let dropped = shared.queue.put(item, from: publisher)?.window {
            release(dropped)
            shared.metrics.skipped(.queueFull).increment()
            let limit = shared.config.maxQueuedWindowsPerPublisher
            shared.logger.rateLimited(
                "queue_full", .warning, in: shared.logLimits,
                "publisher \(publisher) has \(limit) windows waiting for "
                    + "inference; dropped its oldest (subject \(dropped.subject))")
        }
        shared.metrics.windowsInFlight.set(Double(inFlight.count + actionsInFlight))
    }

    /// The window is done with (published, failed or dropped): its subject may get the next one.
    private func release(_ window: Window) {
        if case .action = window.purpose {
            actionsInFlight -= 1
        } else {
            assembler.finished(subject: window.subject)
            inFlight[window.subject] = nil
        }
    }

    // MARK: Output

    private func publishResults() throws {
        while try wake.receive(dontWait: true) != nil {}
        let batch = shared.results.withLock { r in
            defer { r.removeAll(keepingCapacity: true) }
            return r
        }
        for result in batch { try publish(result) }
        shared.metrics.windowsInFlight.set(Double(inFlight.count))
    }

    private func publish(_ result: WorkResult) throws {
        let m = shared.metrics
        let window = result.window
        release(window)
        m.inferenceSeconds.observe(result.inferenceSeconds)
        m.queueWaitSeconds.observe(result.queueSeconds)
        m.publishWaitSeconds.observe(Double(MonotonicClock.now() - result.finishedAt) * 1e-9)
        let probabilities: [Float]
        switch result.probabilities {
        case .success(let p): probabilities = p
        case .failure(let failure):
            m.skipped(.classifierError).increment()
            shared.logger.rateLimited(
                "classifier", .error, in: shared.logLimits,
                "classifier failed on subject \(window.subject): \(failure.message)")
            return
        }
        m.windowsInferred(window.modalities).increment()
        let spec = result.classNames == classifier.spec.classNames ? classifier.spec : nil
        let timing = EventComposer.Timing(inferenceSeconds: result.inferenceSeconds, now: MonotonicClock.now())
        switch composer.event(
            for: window, probabilities: probabilities, classNames: result.classNames, spec: spec,
            modelID: result.modelID, timing: timing)
        {
        case nil:
            m.backgroundActions.increment()
        case .action(let event)?:
            try labels.send(event.message(), dontWait: true)
            m.actionsPublished.increment()
            if event.labelIndex == -1 { m.unknownActions.increment() }
        case .label(let event)?:
            try labels.send(event.message(), dontWait: true)
            m.labelsPublished.increment()
            if event.labelIndex == -1 { m.unknownLabels.increment() }
            if event.labelIndex == LabelEvent.idleIndex { m.idleLabels.increment() }
            m.endToEndSeconds.observe(Double(MonotonicClock.now() - window.readyAt) * 1e-9)
        }
    }

    /// Publishes "idle" for a window whose centre lies between actions.
    private func publishIdle(_ window: Window, now: Int64) throws {
        guard let event = composer.idle(for: window, now: now) else { return }
        try labels.send(event.message(), dontWait: true)
        shared.metrics.labelsPublished.increment()
        shared.metrics.idleLabels.increment()
    }

    // MARK: Security

    /// Applies consumers' subscriptions to the label socket, each as far as its key is granted: a key
    /// bound to subjects on the consumers' allow-list gets those subjects' topics only, a key without
    /// `subjects=` (or any subscriber without CURVE) gets what it asked for, and a key no longer listed
    /// nothing more. A bounded batch per turn, like the frame sockets.
    private func grantSubscriptions() throws {
        for _ in 0..<shared.config.maxMessagesPerPoll {
            guard let (parts, origin) = try labels.receiveWithSender(dontWait: true) else { return }
            guard let request = LabelSubscription(message: parts) else { continue }
            var grant = CurveAllowList.Grant.all
            if let user = origin.user,
                let consumers = shared.zap.current?.allowList(domain: PipelineCurve.labelsDomain)
            {
                guard let granted = consumers.grant(of: user) else {
                    shared.logger.rateLimited(
                        "subscription.unlisted", .warning, in: shared.logLimits,
                        "consumer \(user) is no longer on the allow-list: subscription ignored")
                    continue
                }
                grant = granted
            }
            for topic in request.granted(to: grant) {
                try labels.applySubscription(topic, subscribe: request.subscribe)
            }
        }
    }

    /// Counts handshake outcomes per socket; failures are logged (rate-limited: a peer retries every
    /// 100 ms). Refused CURVE keys are also counted and named by the ZAP handler's observer.
    private func countHandshakes(_ monitor: HandshakeMonitor, socket: String) throws {
        for outcome in try monitor.drain() {
            shared.metrics.handshakes(socket: socket, outcome).increment()
            if outcome != .succeeded {
                shared.logger.rateLimited(
                    "handshake.\(socket).\(outcome.rawValue)", .warning, in: shared.logLimits,
                    "handshake failed on the \(socket) socket: \(outcome.explanation)")
            }
        }
    }

    // MARK: Bookkeeping

    private func housekeeping(now: Int64) throws {
        if let why = shared.zap.current?.failure {
            // Without a ZAP handler libzmq admits every CURVE client: close every socket instead.
            throw AuthenticationDown(reason: why)
        }
        for window in assembler.closeSilentActions(now: now) {
            enqueue(window, from: assembler.publisher(of: window.subject) ?? .local)
        }
        for eviction in assembler.evictIdle(now: now) {
            composer.forget(subject: eviction.subject)
            report(eviction)
        }
        shared.metrics.subjectsActive.set(Double(assembler.activeSubjects))
        shared.metrics.recoveredFrames.advance(to: Double(assembler.recoveredFrames))
        let (newGeneration, newClassifier) = shared.classifier.current
        if newGeneration != generation {
            if newClassifier.spec.classNames != classifier.spec.classNames { composer.restartSmoothing() }
            generation = newGeneration
            classifier = newClassifier
            assembler.replaceSpec(newClassifier.spec)
            shared.logger.notice(
                "classifier replaced (generation \(generation), \(classifier.spec.classNames.count) classes)")
        }
        feedWatchdog(now: now)
    }

    /// Counts an eviction; logs those that took a slot for a new subject (rate-limited: a flood of new
    /// ids makes one per frame), naming the publishers, which the operator can act on, not the ids.
    private func report(_ eviction: SubjectEviction) {
        shared.metrics.subjectsEvicted(eviction.reason).increment()
        guard let newcomer = eviction.newcomer else { return }
        let buffer = shared.config.buffer
        let why =
            eviction.reason == .overShare
            ? "its publisher \(eviction.publisher) held more than its fair share of the \(buffer.maxSubjects) slots"
            : "silent for \(buffer.staleAfterSeconds) s (publisher \(eviction.publisher))"
        let level: Logger.Level = eviction.reason == .overShare ? .warning : .notice
        shared.logger.rateLimited(
            "evict.\(eviction.reason.rawValue)", level, in: shared.logLimits,
            "subject table full: subject \(eviction.subject) gave its slot to a new subject of "
                + "\(newcomer), \(why)")
    }

    /// Pings systemd only while the pipeline makes progress: this loop is turning (we are here) and no
    /// window has been stuck in a worker for `stallSeconds`. A wedged classifier thus gets the daemon
    /// restarted, while an idle daemon (no subjects) stays alive.
    private func feedWatchdog(now: Int64) {
        guard let notifier = shared.notifier, let interval = notifier.watchdogInterval else { return }
        if let oldest = inFlight.values.min(), now - oldest > Int64(shared.config.stallSeconds * 1e9) {
            shared.logger.rateLimited(
                "stall", .error, in: shared.logLimits,
                "a window has been in inference for over \(shared.config.stallSeconds) s; not feeding the watchdog")
            return
        }
        if now - lastWatchdog >= Int64(interval / 2 * 1e9) {
            notifier.watchdog()
            lastWatchdog = now
        }
    }

    /// Graceful stop: no new windows; publish what the workers still hold, up to the drain timeout.
    private func drain() throws {
        let deadline = MonotonicClock.now() + Int64(shared.config.drainTimeoutSeconds * 1e9)
        while !inFlight.isEmpty || actionsInFlight > 0 {
            let left = deadline - MonotonicClock.now()
            if left <= 0 {
                shared.logger.warning("stopping with \(inFlight.count + actionsInFlight) windows still in inference")
                return
            }
            _ = try ZMQPoll.readable([wake], timeoutMilliseconds: Int(min(left / 1_000_000, 100)))
            try publishResults() // also picks up results whose wake-up was dropped
        }
    }
}

/// The ZAP handler stopped: the pipeline closes its sockets rather than run unauthenticated.
struct AuthenticationDown: Error, CustomStringConvertible {
    var reason: String
    var description: String {
        "CURVE authentication handler failed (\(reason)); closing every socket rather than admit unchecked clients"
    }
}
