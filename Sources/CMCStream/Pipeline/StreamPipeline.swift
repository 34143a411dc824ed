import Logging
import CMCCore
import Foundation

/// The real-time recognition pipeline of `cmcd`: ZeroMQ frames in, label events out.
///
/// ```swift
/// let pipeline = try StreamPipeline(config: config, classifier: recognizer, notifier: SystemdNotifier())
/// let endpoints = try pipeline.start()          // sockets bound, workers running, READY=1 sent
/// pipeline.replaceClassifier(reloaded)          // on SIGHUP: atomic, no frame lost
/// pipeline.stop()                               // on SIGTERM: drain, publish in-flight, close
/// ```
///
/// Threads: one I/O thread owns every socket and the per-subject buffers (`IOLoop`); `config.workers`
/// inference threads call the classifier and post results back through a queue plus an `inproc://`
/// wake-up. No socket is ever touched by two threads.
public final class StreamPipeline: Sendable {
    public let config: PipelineConfig
    public let metrics: PipelineMetrics
    private let shared: PipelineShared
    private let phase = Locked(Phase.idle)
    private let ioFinished = DispatchSemaphore(value: 0)
    private let workers = Locked<InferenceWorkers?>(nil)

    private enum Phase: Sendable { case idle, running, stopped }
    private static let instanceCounter = Locked(0)

    /// - Parameters:
    ///   - context: share one with test sockets to use `inproc://` endpoints; a private one otherwise.
    ///   - notifier: systemd notification (`READY=1`, watchdog, `STOPPING=1`); nil outside systemd.
    public init(
        config: PipelineConfig, classifier: any WindowClassifier, metrics: MetricsRegistry = MetricsRegistry(),
        logger: Logger = CMCLogging.logger("stream"), notifier: SystemdNotifier? = nil, context: ZMQContext? = nil
    ) throws {
        try Self.validate(classifier.spec)
        let id = Self.instanceCounter.withLock { n in
            n += 1
            return n
        }
        let token = "\(getpid())-\(id)"
        self.config = config
        self.metrics = PipelineMetrics(registry: metrics)
        shared = PipelineShared(
            config: config, metrics: self.metrics, logger: logger, notifier: notifier,
            context: try context ?? ZMQContext(),
            classifier: Locked((0, classifier)), queue: WorkQueue(capacityPerLane: config.maxQueuedWindowsPerPublisher),
            results: Locked([]), stopRequested: Locked(false), failure: Locked(nil), zap: Locked(nil),
            controlAddress: "inproc://cmc-control-\(token)", resultsAddress: "inproc://cmc-results-\(token)",
            monitorAddress: "inproc://cmc-monitor-\(token)-")
    }

    /// Creates and binds the sockets on the I/O thread, starts the workers and returns the endpoints
    /// actually bound. Throws (and leaves nothing running) if a socket cannot be set up.
    @discardableResult
    public func start() throws -> BoundEndpoints {
        try phase.withLock { p in
            guard p == .idle else { throw ZMQError(code: EINVAL, operation: "start: pipeline already started") }
            p = .running
        }
        // The ZAP handler before any CURVE socket exists: libzmq lets every client in while none is bound.
        if let curve = config.curve {
            do {
                let handler = try startZAP(curve)
                shared.zap.withLock { $0 = handler }
            } catch {
                phase.withLock { $0 = .stopped }
                throw error
            }
        }
        // Workers first: they connect their wake-up sockets to the I/O thread's inproc address, which
        // ZeroMQ allows before the bind. So once the I/O thread is bound, the whole pipeline is up.
        let workers = InferenceWorkers(
            count: config.workers, maxBatch: config.maxBatch, queue: shared.queue, results: shared.results,
            context: shared.context, wakeAddress: shared.resultsAddress, logger: shared.logger)
        self.workers.withLock { $0 = workers }
        let outcome = Locked<Result<BoundEndpoints, any Error>?>(nil)
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [shared, ioFinished] in
            defer { ioFinished.signal() }
            let loop: IOLoop
            do { loop = try IOLoop(shared: shared) } catch {
                outcome.withLock { $0 = .failure(error) }
                started.signal()
                return
            }
            // READY=1 from this thread, before its first watchdog ping can go out.
            shared.logger.info(
                "pipeline running: imu \(loop.bound.imu), skeleton \(loop.bound.skeleton), labels \(loop.bound.labels)")
            shared.notifier?.ready(status: "listening")
            outcome.withLock { $0 = .success(loop.bound) }
            started.signal()
            loop.run()
        }
        thread.name = "cmc-io"
        thread.start()
        started.wait()
        switch outcome.current! {
        case .failure(let error):
            ioFinished.wait()
            shared.queue.close()
            workers.join()
            shared.zap.withLock { $0 }?.stop()
            phase.withLock { $0 = .stopped }
            throw error
        case .success(let bound):
            return bound
        }
    }

    /// Swaps the classifier atomically: windows cut from now on (within one tick) use the new one;
    /// windows already in inference finish with the old one. Buffers survive when the input layout is
    /// unchanged; smoothing restarts when the class list changes. Throws if the spec is unusable.
    public func replaceClassifier(_ classifier: any WindowClassifier) throws {
        try Self.validate(classifier.spec)
        shared.classifier.withLock { $0 = ($0.generation + 1, classifier) }
        metrics.classifierReloads.increment()
    }

    /// Replaces the CURVE allow-lists (e.g. re-read on SIGHUP). New handshakes are checked against
    /// them; connected clients stay connected until they reconnect. No effect without CURVE.
    public func replaceAllowLists(sensors: CurveAllowList, consumers: CurveAllowList) {
        guard let handler = shared.zap.current else { return }
        handler.replace(domain: PipelineCurve.framesDomain, with: sensors)
        handler.replace(domain: PipelineCurve.labelsDomain, with: consumers)
    }

    /// The allow-lists in force (nil without CURVE).
    public var allowLists: (sensors: CurveAllowList, consumers: CurveAllowList)? {
        guard let handler = shared.zap.current, let s = handler.allowList(domain: PipelineCurve.framesDomain),
            let c = handler.allowList(domain: PipelineCurve.labelsDomain)
        else { return nil }
        return (s, c)
    }

    private func startZAP(_ curve: PipelineCurve) throws -> ZAPHandler {
        let metrics = self.metrics
        let logger = shared.logger
        let logLimits = shared.logLimits
        for domain in [PipelineCurve.framesDomain, PipelineCurve.labelsDomain] {
            // render at 0
            for accepted in [true, false] { _ = metrics.curveClients(domain: domain, accepted: accepted) }
        }
        return try ZAPHandler(context: shared.context, allowLists: curve.allowLists) { decision in
            metrics.curveClients(domain: decision.domain, accepted: decision.accepted).increment()
            let who =
                "domain=\(decision.domain) address=\(decision.address) key=\(decision.key?.z85 ?? "none") mechanism=\(decision.mechanism)"
            if let user = decision.user {
                // A client reconnecting in a loop must not flood the log: once a minute per key.
                logger.rateLimited(
                    "curve.accepted.\(decision.key?.z85 ?? "")", .info, in: logLimits, interval: 60,
                    "CURVE client accepted: user=\(user) \(who)")
            } else {
                logger.rateLimited(
                    "curve.refused.\(decision.domain)", .warning, in: logLimits,
                    "CURVE client refused (not on the allow-list): \(who)")
            }
        }
    }

    /// Set when the I/O thread ended on its own (a socket error, or the context terminated): the daemon
    /// should then exit non-zero so systemd restarts it (the watchdog would starve anyway).
    public var failure: String? { shared.failure.current }

    /// Fault injection for tests: the ZAP handler fails as if its socket had broken.
    func injectAuthenticationFault() { shared.zap.current?.injectFault() }

    /// The classifier windows are being cut for.
    public var currentClassifier: any WindowClassifier { shared.classifier.current.classifier }

    /// Graceful stop: stop cutting windows, publish what is in inference (up to
    /// `drainTimeoutSeconds`), close every socket, join every thread. Idempotent; blocks until done.
    public func stop() {
        let wasRunning = phase.withLock { p in
            defer { p = .stopped }
            return p == .running
        }
        guard wasRunning else { return }
        shared.notifier?.stopping()
        shared.stopRequested.withLock { $0 = true }
        // Wake the I/O thread now rather than at its next tick. The socket is this thread's own.
        if let poke = try? ZMQSocket(context: shared.context, type: .push, lingerMilliseconds: 100) {
            try? poke.connect(shared.controlAddress)
            _ = try? poke.send([[0]], dontWait: true)
            poke.close()
        }
        ioFinished.wait()
        shared.queue.close()
        workers.withLock { $0 }?.join()
        shared.zap.withLock { $0 }?.stop() // after the sockets it vouches for are closed
        shared.logger.info("pipeline stopped")
    }

    deinit { stop() }

    private static func validate(_ spec: ClassifierSpec) throws {
        func fail(_ why: String) -> WireError { WireError("classifier.spec", .invalid(why)) }
        if spec.classNames.isEmpty { throw fail("no classes") }
        if !(spec.windowSeconds > 0 && spec.windowSeconds <= Limits.maxWindowSeconds) {
            throw fail("window must be in (0, \(Limits.maxWindowSeconds)] s")
        }
        if spec.inertialChannels == nil && spec.skeletonJoints == nil { throw fail("no input modality") }
        if (spec.skeletonJoints == nil) != (spec.skeletonCoordinates == nil) {
            throw fail("skeleton needs both joints and coordinates")
        }
        if let units = spec.inertialUnits, units.count != spec.inertialChannels {
            throw fail("one unit per IMU channel")
        }
    }

    /// Checks a classifier's spec the way `init` and `replaceClassifier` do, without swapping anything:
    /// a daemon validates a reloaded model before it announces the reload.
    public static func check(_ spec: ClassifierSpec) throws { try validate(spec) }
}
