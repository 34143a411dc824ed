/// A bounded, time-ordered ring of the samples of one stream, indexed by sensor-clock time (ns).
///
/// Memory grows with use, doubling from 64 samples up to `capacity × stride` floats (a sender that
/// streams for a moment costs little); when full, the oldest sample is evicted.
/// Samples normally arrive in order and are appended in O(1). A sample up to `reorderBound` older than
/// the newest is inserted in place (a short backwards scan and shift: reordering is rare and shallow);
/// anything older is refused as late, and an exact duplicate timestamp is refused as a duplicate.
/// Logical index 0 is the oldest sample.
public struct SampleRing: Sendable {
    public enum InsertResult: Equatable, Sendable {
        case appended, reordered, duplicate, tooOld
        public var accepted: Bool { self == .appended || self == .reordered }
    }

    public let stride: Int
    public let capacity: Int
    private var times: [Int64]
    private var values: [Float]
    private var head = 0
    public private(set) var count = 0
    /// Samples pushed out because the ring was full (a sign `capacity` is too small for the window).
    public private(set) var evictedWhileFull = 0

    public init(capacity: Int, stride: Int) {
        precondition(capacity > 0 && stride > 0)
        self.capacity = capacity
        self.stride = stride
        let initial = min(capacity, 64)
        times = Array(repeating: 0, count: initial)
        values = Array(repeating: 0, count: initial * stride)
    }

    /// Samples the ring has memory for right now (≤ `capacity`).
    public var allocated: Int { times.count }

    private func physical(_ logical: Int) -> Int { (head + logical) % times.count }

    /// Doubles the storage (up to `capacity`), laying the samples out from slot 0.
    private mutating func grow() {
        let slots = min(capacity, times.count * 2)
        var newTimes = [Int64](repeating: 0, count: slots)
        var newValues = [Float](repeating: 0, count: slots * stride)
        for l in 0..<count {
            let p = physical(l)
            newTimes[l] = times[p]
            for k in 0..<stride { newValues[l * stride + k] = values[p * stride + k] }
        }
        times = newTimes
        values = newValues
        head = 0
    }

    public func time(at logical: Int) -> Int64 { times[physical(logical)] }
    public func value(at logical: Int, component: Int) -> Float { values[physical(logical) * stride + component] }
    public var oldestTime: Int64? { count == 0 ? nil : time(at: 0) }
    public var newestTime: Int64? { count == 0 ? nil : time(at: count - 1) }

    public mutating func removeAll() {
        head = 0
        count = 0
    }

    /// Inserts one sample; `sample` holds `stride` values starting at `offset`.
    public mutating func insert(time t: Int64, from sample: [Float], offset: Int, reorderBound: Int64) -> InsertResult {
        precondition(offset >= 0 && offset + stride <= sample.count)
        guard let newest = newestTime else {
            append(t, sample, offset)
            return .appended
        }
        if t > newest {
            append(t, sample, offset)
            return .appended
        }
        if t < newest - reorderBound { return .tooOld }
        // Find the first logical index whose time is >= t, scanning back from the newest.
        var position = count
        while position > 0 && time(at: position - 1) >= t { position -= 1 }
        if position < count && time(at: position) == t { return .duplicate }
        if count == times.count && times.count < capacity { grow() }
        if count == times.count {
            if position == 0 { return .tooOld } // older than everything we can still hold
            dropOldest()
            position -= 1
        }
        // Shift [position, count) one slot towards the newest end, then write at position.
        var i = count
        while i > position {
            let to = physical(i)
            let from = physical(i - 1)
            times[to] = times[from]
            for k in 0..<stride { values[to * stride + k] = values[from * stride + k] }
            i -= 1
        }
        write(physical(position), t, sample, offset)
        count += 1
        return .reordered
    }

    /// Drops every sample older than `t` (time-based retention on top of the capacity bound).
    public mutating func removeOlder(than t: Int64) {
        while count > 0 && time(at: 0) < t {
            head = (head + 1) % times.count
            count -= 1
        }
    }

    /// Logical indices of samples with `after < time <= through` (binary search: times are sorted).
    public func indices(after: Int64, through: Int64) -> Range<Int> {
        let lower = firstIndex { $0 > after }
        let upper = firstIndex { $0 > through }
        return lower..<max(lower, upper)
    }

    private func firstIndex(where predicate: (Int64) -> Bool) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(time(at: mid)) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    private mutating func append(_ t: Int64, _ sample: [Float], _ offset: Int) {
        if count == times.count && times.count < capacity { grow() }
        if count == times.count {
            dropOldest()
            evictedWhileFull += 1
        }
        write(physical(count), t, sample, offset)
        count += 1
    }

    private mutating func dropOldest() {
        head = (head + 1) % times.count
        count -= 1
    }

    private mutating func write(_ slot: Int, _ t: Int64, _ sample: [Float], _ offset: Int) {
        times[slot] = t
        for k in 0..<stride { values[slot * stride + k] = sample[offset + k] }
    }
}
