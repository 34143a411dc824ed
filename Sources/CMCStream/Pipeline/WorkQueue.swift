import CMCCore
import Foundation

/// The hand-off between the I/O thread and the workers: one FIFO lane of windows per publisher,
/// served round-robin one window at a time, so each publisher with windows waiting gets an equal share
/// of the workers whatever the others queue. (Round-robin per window rather than deficit round-robin
/// by cost: every window of a model costs about the same.) A lane holds at most `capacityPerLane`
/// windows: `put` into a full lane drops its oldest, the window whose label is already the latest.
///
/// Memory is bounded twice over: by the lane capacity, and by the assembler, which keeps at most one
/// periodic window per subject in flight. Empty lanes are removed, so publishers cost nothing idle.
final class WorkQueue: @unchecked Sendable {
    // @unchecked: `lanes`, `order`, `cursor` and `closed` are only touched with `condition` locked.
    private let condition = NSCondition()
    private let capacityPerLane: Int
    private var lanes: [Publisher: Lane] = [:]
    /// Publishers with windows waiting, in the order they are served; `cursor` is the next one.
    private var order: [Publisher] = []
    private var cursor = 0
    private var closed = false

    init(capacityPerLane: Int) {
        self.capacityPerLane = max(1, capacityPerLane)
    }

    /// Queues `item` in its publisher's lane; returns the lane's oldest item when the lane was full,
    /// which is dropped (the caller releases what it held).
    func put(_ item: WorkItem, from publisher: Publisher) -> WorkItem? {
        condition.lock()
        defer { condition.unlock() }
        var dropped: WorkItem?
        // `lanes[publisher]!` mutates the lane in place (a copy taken out would copy its array).
        if let count = lanes[publisher]?.count {
            if count >= capacityPerLane { dropped = lanes[publisher]!.popFirst() }
            lanes[publisher]!.append(item)
        } else {
            lanes[publisher] = Lane(item)
            order.append(publisher)
        }
        condition.signal()
        return dropped
    }

    /// Blocks until at least one item is available, then returns up to `max` of them, one from each
    /// publisher in turn (everything queued so far, never waiting for more: batching must not add
    /// latency). Nil once closed and empty.
    func take(max: Int) -> [WorkItem]? {
        condition.lock()
        defer { condition.unlock() }
        while order.isEmpty && !closed { condition.wait() }
        guard !order.isEmpty else { return nil }
        var taken: [WorkItem] = []
        while taken.count < Swift.max(1, max) && !order.isEmpty {
            if cursor >= order.count { cursor = 0 }
            let publisher = order[cursor]
            taken.append(lanes[publisher]!.popFirst()!)
            if lanes[publisher]!.count == 0 {
                lanes[publisher] = nil
                order.remove(at: cursor) // the next publisher moves up to `cursor`
            } else {
                cursor += 1
            }
        }
        return taken
    }

    /// Windows waiting, per publisher (tests, gauges).
    var queuedCounts: [Publisher: Int] {
        condition.lock()
        defer { condition.unlock() }
        return lanes.mapValues(\.count)
    }

    func close() {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }

    /// A FIFO of one publisher's windows: an array read from `head`, compacted as it drains.
    private struct Lane {
        private var items: [WorkItem]
        private var head = 0

        init(_ first: WorkItem) { items = [first] }

        var count: Int { items.count - head }

        mutating func append(_ item: WorkItem) { items.append(item) }

        mutating func popFirst() -> WorkItem? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head > 32 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }
}
