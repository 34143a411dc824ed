import CMCCore
import CMCStream

/// Receives `cmcd`'s window labels and action events (docs/protocol.md §5) as typed values.
///
/// ```swift
/// let events = try EventSubscriber(labels: [.connect("tcp://127.0.0.1:5557")], subjects: [7])
/// while let event = try events.next(timeoutMilliseconds: 1000) {
///     if case let .action(a) = event { print(a.label, a.seconds) }
/// }
/// ```
///
/// Not `Sendable`: the socket belongs to the thread that created the subscriber.
public final class EventSubscriber {
    private let context: ZMQContext
    private let socket: ZMQSocket
    /// Messages that did not decode as events of this protocol version (skipped).
    public private(set) var rejected = 0

    public init(
        labels endpoints: [Endpoint], subjects: [UInt32]? = nil, windowLabels: Bool = true, actions: Bool = true,
        curve: CurveClient? = nil, context: ZMQContext? = nil
    ) throws {
        self.context = try context ?? ZMQContext()
        socket = try ZMQSocket(context: self.context, type: .sub)
        for subject in subjects.map({ $0.map(Optional.some) }) ?? [nil] {
            if windowLabels { try socket.subscribe(subject.map(Topic.label(subject:)) ?? Topic.allLabels) }
            if actions { try socket.subscribe(subject.map(Topic.action(subject:)) ?? Topic.allActions) }
        }
        try socket.attach(endpoints, curve: curve)
    }

    deinit { socket.close() }

    /// The next event, or nil when none arrived within the timeout.
    public func next(timeoutMilliseconds: Int) throws -> PublishedEvent? {
        let deadline = MonotonicClock.now() + Int64(timeoutMilliseconds) * 1_000_000
        while true {
            let left = Int(max(0, deadline - MonotonicClock.now()) / 1_000_000)
            guard try ZMQPoll.readable([socket], timeoutMilliseconds: left)[0],
                let parts = try socket.receive(dontWait: true)
            else {
                if left == 0 { return nil }
                continue
            }
            if let event = try? PublishedEvent.decode(message: parts) { return event }
            rejected += 1
        }
    }
}
