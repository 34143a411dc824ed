import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// Subscribes to label and action events on its own thread (which owns the SUB socket) and keeps
/// them, with the CLOCK_MONOTONIC time each arrived.
public final class LabelCollector: Sendable {
    public struct Received: Sendable {
        public var event: LabelEvent
        public var receivedAt: Int64
    }

    public struct ReceivedAction: Sendable {
        public var event: ActionEvent
        public var receivedAt: Int64
    }

    private let endpoints: [Endpoint]
    private let context: ZMQContext
    private let curve: CurveClient?
    private let keep: Bool
    private let onEvent: (@Sendable (Received) -> Void)?
    private let onAction: (@Sendable (ReceivedAction) -> Void)?
    private let events = Locked([Received]())
    private let actionEvents = Locked([ReceivedAction]())
    private let undecodable = Locked(0)
    private let stopRequested = Locked(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Locked(false)

    /// - Parameter onEvent: called on the collector's thread for each event (live printing).
    /// - Parameter curve: CURVE client settings when the label socket is a CURVE server.
    /// - Parameter onAction: likewise for each action event.
    /// - Parameter keep: false hands events to the callbacks only (bounded memory for long runs).
    public init(
        endpoints: [Endpoint], context: ZMQContext, curve: CurveClient? = nil, keep: Bool = true,
        onEvent: (@Sendable (Received) -> Void)? = nil, onAction: (@Sendable (ReceivedAction) -> Void)? = nil
    ) {
        self.endpoints = endpoints
        self.context = context
        self.curve = curve
        self.keep = keep
        self.onEvent = onEvent
        self.onAction = onAction
    }

    /// Subscribes (to every subject's labels and actions) and starts collecting.
    public func start() throws {
        let setup = Locked<(any Error)?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            defer { finished.signal() }
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .sub)
                try socket.setHighWaterMarks(receive: 100_000)
                try socket.subscribe(Topic.allLabels)
                try socket.subscribe(Topic.allActions)
                try socket.attach(endpoints, curve: curve)
            } catch {
                setup.withLock { $0 = error }
                ready.signal()
                return
            }
            defer { socket.close() }
            ready.signal()
            do {
                while !stopRequested.current {
                    guard try ZMQPoll.readable([socket], timeoutMilliseconds: 50)[0] else { continue }
                    while let parts = try socket.receive(dontWait: true) {
                        let now = MonotonicClock.now()
                        switch try? PublishedEvent.decode(message: parts) {
                        case .label(let event)?:
                            let received = Received(event: event, receivedAt: now)
                            if keep { events.withLock { $0.append(received) } }
                            onEvent?(received)
                        case .action(let event)?:
                            let received = ReceivedAction(event: event, receivedAt: now)
                            if keep { actionEvents.withLock { $0.append(received) } }
                            onAction?(received)
                        case nil:
                            undecodable.withLock { $0 += 1 }
                        }
                    }
                }
            } catch {
                // Only a terminated context ends a SUB socket's receive loop; keep what was collected.
            }
        }
        thread.name = "cmc-labels"
        thread.start()
        ready.wait()
        if let error = setup.current {
            finished.wait()
            throw error
        }
        started.withLock { $0 = true }
    }

    public var count: Int { events.withLock { $0.count } }
    /// The label events received so far (the collector keeps running).
    public var labels: [Received] { events.current }
    /// Action events received so far.
    public var actions: [ReceivedAction] { actionEvents.current }
    /// Messages on the label topics that did not decode as version-1 label or action events.
    public var rejected: Int { undecodable.current }
    /// CLOCK_MONOTONIC ns of the newest event, if any.
    public var lastReceivedAt: Int64? {
        [events.withLock { $0.last?.receivedAt }, actionEvents.withLock { $0.last?.receivedAt }].compactMap { $0 }.max()
    }

    /// Stops and returns every event received.
    @discardableResult
    public func stop() -> [Received] {
        let first = stopRequested.withLock { s in
            defer { s = true }
            return !s
        }
        if first && started.current { finished.wait() }
        return events.current
    }
}
