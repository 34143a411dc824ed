import Logging
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
    /// Prometheus `/metrics` on `metricsAddress`: this port, 0 for any free one, negative for none.
    public var metricsPort = 9560
    public var metricsAddress = "127.0.0.1"

    public static let defaultFrontend = "bind:tcp://127.0.0.1:5560"
    public static let defaultBackend = "bind:tcp://127.0.0.1:5561"

    public init(frontend: [Endpoint], backend: [Endpoint]) {
        self.frontend = frontend
        self.backend = backend
    }

    /// Runs until SIGTERM/SIGINT; returns the exit status. Call `ProcessSignals.block()` first.
    public func run(logger: Logger, notifier: SystemdNotifier? = SystemdNotifier()) -> Int32 {
        let context: ZMQContext
        do { context = try ZMQContext() } catch {
            logger.error("startup failed: \(error)")
            return 1
        }
        // The ZAP handler before the sockets: libzmq admits every CURVE client while none is bound.
        var zap: ZAPHandler?
        if let curve {
            do { zap = try curve.startZAP(context: context, logger: logger) } catch {
                logger.error("startup failed: \(error)")
                return 1
            }
        }
        defer { zap?.stop() }
        let registry = MetricsRegistry()
        ProcessMetrics.register(in: registry)
        let counts = ProxyTraffic(registry: registry)
        var metricsServer: MetricsHTTPServer?
        if metricsPort >= 0 {
            do {
                metricsServer = try MetricsHTTPServer(
                    registry: registry, host: metricsAddress, port: UInt16(metricsPort))
            } catch {
                logger.error("startup failed: metrics on \(metricsAddress):\(metricsPort): \(error)")
                return 1
            }
        }
        defer { metricsServer?.stop() }
        // Every part the proxy forwards is copied to an inproc PUB; a counting thread reads the copies.
        let captureAddress = "inproc://cmc-proxy-capture"
        let counting = Thread {
            guard let sub = try? ZMQSocket(context: context, type: .sub) else { return }
            defer { sub.close() }
            do {
                try sub.subscribe("")
                try sub.setHighWaterMarks(receive: 100_000)
                try sub.connect(captureAddress)
                while let parts = try sub.receive() { counts.count(parts) }
            } catch {} // the context was shut down
        }
        counting.name = "cmc-proxy-metrics"
        let setup = Locked<Result<(frontend: [String], backend: [String]), any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
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
                try xpub.limitInboundMessages(toBytes: Topic.maxSubscriptionBytes)
                if let curve {
                    try xsub.configureCurve(
                        .server(secretKey: curve.keys.secretKey, domain: ProxyCurve.publishersDomain))
                    try xpub.configureCurve(
                        .server(secretKey: curve.keys.secretKey, domain: ProxyCurve.subscribersDomain))
                }
                let capture = try ZMQSocket(context: context, type: .pub)
                sockets.append(capture)
                try capture.setHighWaterMarks(send: 100_000)
                try capture.bind(captureAddress)
                let bound = (try xsub.attach(frontend), try xpub.attach(backend))
                setup.withLock { $0 = .success(bound) }
                ready.signal()
                try ZMQProxy.run(frontend: xsub, backend: xpub, capture: capture)
            } catch {
                if setup.current == nil {
                    setup.withLock { $0 = .failure(error) }
                    ready.signal()
                } else {
                    failure.withLock { $0 = "\(error)" }
                }
            }
        }
        thread.name = "cmc-proxy"
        thread.start()
        ready.wait()
        counting.start()
        guard case .success(let bound)? = setup.current else {
            if case .failure(let error)? = setup.current { logger.error("startup failed: \(error)") }
            finished.wait()
            return 1
        }
        logger.info(
            "proxy running",
            metadata: .fields([
                "frontend": bound.frontend.joined(separator: ","),
                "backend": bound.backend.joined(separator: ","),
                "metrics": metricsServer.map { "\(metricsAddress):\($0.port)" } ?? "off",
            ]))
        notifier?.ready(
            status:
                "proxying; frontend=\(bound.frontend.joined(separator: ",")) backend=\(bound.backend.joined(separator: ","))"
                + (curve.map { " curve=\($0.keys.publicKey.z85)" } ?? ""))
        var status: Int32 = 0
        var lastPing = MonotonicClock.now()
        while true {
            if let signal = ProcessSignals.wait(ProcessSignals.shutdown, timeout: 0.25) {
                logger.notice("stopping", metadata: .fields(["signal": ProcessSignals.name(signal)]))
                break
            }
            if let error = failure.current {
                logger.error("proxy failed", metadata: .fields(["reason": error]))
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
        logger.info("stopped", metadata: .fields(["exit": "\(status)"]))
        return status
    }
}

/// What `cmc-proxy` forwarded, from the copies of its capture socket: messages and bytes per kind.
/// Frames and events travel downstream (frontend → backend), subscriptions upstream; a subscription is
/// one part starting with byte 0 or 1 (unsubscribe / subscribe), everything else is named by its topic.
final class ProxyTraffic: Sendable {
    private let messages: [String: Counter]
    private let bytes: [String: Counter]

    static let kinds = ["imu", "skeleton", "labels", "actions", "subscriptions", "other"]

    init(registry: MetricsRegistry) {
        messages = Dictionary(
            uniqueKeysWithValues: Self.kinds.map {
                (
                    $0,
                    registry.counter(
                        "cmc_proxy_messages_total",
                        help: "Messages forwarded, by kind (subscriptions travel upstream).",
                        labels: [("kind", $0)])
                )
            })
        bytes = Dictionary(
            uniqueKeysWithValues: Self.kinds.map {
                (
                    $0,
                    registry.counter(
                        "cmc_proxy_bytes_total", help: "Bytes forwarded (all parts), by kind.", labels: [("kind", $0)])
                )
            })
    }

    /// Counts one captured message (the capture socket delivers whole messages to a SUB).
    func count(_ parts: [[UInt8]]) {
        guard let first = parts.first else { return }
        let kind: String
        if parts.count == 1, let b = first.first, b <= 1 {
            kind = "subscriptions"
        } else if first.starts(with: Array("imu/".utf8)) {
            kind = "imu"
        } else if first.starts(with: Array("skel/".utf8)) {
            kind = "skeleton"
        } else if first.starts(with: Array("label/".utf8)) {
            kind = "labels"
        } else if first.starts(with: Array("action/".utf8)) {
            kind = "actions"
        } else {
            kind = "other"
        }
        messages[kind]?.increment()
        bytes[kind]?.increment(by: Double(parts.reduce(0) { $0 + $1.count }))
    }
}
