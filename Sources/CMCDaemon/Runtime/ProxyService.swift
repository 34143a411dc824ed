import CMCCore
import CMCStream
import Foundation

/// `cmc-proxy`: the XSUB/XPUB broker between sensors, `cmcd` instances and label consumers.
///
/// ```
///  sensors (PUB) ─────────┐                      ┌──► cmcd@a SUB (imu/1/ … imu/50/)
///  cmcd@a, cmcd@b labels ─┴► XSUB  frontend ═► XPUB backend ──► cmcd@b SUB (imu/51/ …)
///                                                └──► label consumers SUB (label/)
/// ```
///
/// Publishers connect to the frontend, subscribers to the backend. Subscriptions travel upstream, so
/// each sensor only sends the subjects some instance serves, and every label reaches every consumer.
/// The forwarding itself is libzmq's `zmq_proxy` on a dedicated thread; the main thread waits for
/// signals and stops it by shutting the context down.
public struct ProxyService: Sendable {
    public var frontend: [Endpoint]
    public var backend: [Endpoint]
    /// Queue per direction and peer: seconds of frames for many subjects.
    public var highWaterMark: Int32 = 100_000
    /// CURVE on both sockets (nil: plain text). The proxy is the CURVE server of everyone around it.
    public var curve: ProxyCurve?

    public static let defaultFrontend = "bind:tcp://127.0.0.1:5560"
    public static let defaultBackend = "bind:tcp://127.0.0.1:5561"

    public init(frontend: [Endpoint], backend: [Endpoint]) {
        self.frontend = frontend
        self.backend = backend
    }

    /// Runs until SIGTERM/SIGINT; returns the exit status. Call `ProcessSignals.block()` first.
    public func run(logger: StreamLogger, notifier: SystemdNotifier? = SystemdNotifier()) -> Int32 {
        let context: ZMQContext
        do { context = try ZMQContext() } catch {
            logger.log(.error, "startup failed: \(error)")
            return 1
        }
        // The ZAP handler before the sockets: libzmq admits every CURVE client while none is bound.
        var zap: ZAPHandler?
        if let curve {
            do { zap = try curve.startZAP(context: context, logger: logger) } catch {
                logger.log(.error, "startup failed: \(error)")
                return 1
            }
        }
        defer { zap?.stop() }
        let setup = Locked<Result<(frontend: [String], backend: [String]), any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let failure = Locked<String?>(nil)
        let thread = Thread { [self] in
            defer { finished.signal() }
            var sockets: [ZMQSocket] = []
            defer { for s in sockets { s.close() } }
            do {
                let xsub = try ZMQSocket(context: context, type: .xsub)
                sockets.append(xsub)
                let xpub = try ZMQSocket(context: context, type: .xpub)
                sockets.append(xpub)
                for s in sockets { try s.setHighWaterMarks(send: highWaterMark, receive: highWaterMark) }
                // Publishers' frames, and subscribers' subscription messages (topic prefixes), are bounded:
                // an oversized part disconnects its sender before it is allocated.
                try xsub.limitInboundMessages(toBytes: FrameCodec.maxInboundPartBytes)
                try xpub.limitInboundMessages(toBytes: 64 << 10)
                if let curve {
                    try xsub.configureCurve(.server(secretKey: curve.keys.secretKey, domain: ProxyCurve.publishersDomain))
                    try xpub.configureCurve(.server(secretKey: curve.keys.secretKey, domain: ProxyCurve.subscribersDomain))
                }
                let bound = (try xsub.attach(frontend), try xpub.attach(backend))
                setup.withLock { $0 = .success(bound) }
                ready.signal()
                try ZMQProxy.run(frontend: xsub, backend: xpub)
            } catch {
                if setup.current == nil { setup.withLock { $0 = .failure(error) }; ready.signal() } else { failure.withLock { $0 = "\(error)" } }
            }
        }
        thread.name = "cmc-proxy"
        thread.start()
        ready.wait()
        guard case let .success(bound)? = setup.current else {
            if case let .failure(error)? = setup.current { logger.log(.error, "startup failed: \(error)") }
            finished.wait()
            return 1
        }
        logger.log(.info, "proxy running " + DaemonLog.fields(["frontend": bound.frontend.joined(separator: ","),
                                                               "backend": bound.backend.joined(separator: ",")]))
        notifier?.ready(status: "proxying; frontend=\(bound.frontend.joined(separator: ",")) backend=\(bound.backend.joined(separator: ","))"
                        + (curve.map { " curve=\($0.keys.publicKey.z85)" } ?? ""))
        var status: Int32 = 0
        var lastPing = MonotonicClock.now()
        while true {
            if let signal = ProcessSignals.wait(ProcessSignals.shutdown, timeout: 0.25) {
                logger.log(.notice, "stopping " + DaemonLog.fields(["signal": ProcessSignals.name(signal)]))
                break
            }
            if let error = failure.current {
                logger.log(.error, "proxy failed " + DaemonLog.fields(["reason": error]))
                status = 1
                break
            }
            // The forwarding thread blocks inside libzmq, so its liveness is all there is to watch.
            if let interval = notifier?.watchdogInterval, MonotonicClock.now() - lastPing >= Int64(interval / 2 * 1e9) {
                notifier?.watchdog()
                lastPing = MonotonicClock.now()
            }
        }
        notifier?.stopping()
        context.shutdown()
        finished.wait()
        logger.log(.info, "stopped " + DaemonLog.fields(["exit": "\(status)"]))
        return status
    }
}
