/// Everything the daemon keeps about one modality of one subject: its samples, its clock mapping,
/// its sequence numbers and its rate limiter.
struct ModalityStream: Sendable {
    var ring: SampleRing
    var clock: ClockAligner
    var sequence = SequenceTracker()
    /// Sequence gaps seen on frames that were then dropped (rate limit, late, …): reported with the next
    /// buffered frame, so they are neither lost from the count nor confused with the drop.
    var unreportedLost: UInt64 = 0
    /// The clock aligner's current estimate of daemon − sensor time for this stream.
    var offset: Int64 = 0
    /// What the windows use: `sensor + mapping` is the daemon timeline. Equal to `offset` for a subject's
    /// lead stream only at its anchor; see `WindowAssembler.remap`.
    var mapping: Int64 = 0
    /// Lead stream only: its mapping, i.e. its `offset` when the subject's timeline was anchored to it,
    /// carried over steps of its clock so the timeline goes on (`WindowAssembler.continuedAnchor`).
    var anchor: Int64?
    /// CLOCK_MONOTONIC ns of the last accepted frame.
    var lastArrival: Int64
    private var tokens: Double
    private var tokensUpdated: Int64

    init(capacity: Int, stride: Int, clock: ClockPolicy, now: Int64, burst: Double) {
        ring = SampleRing(capacity: capacity, stride: stride)
        self.clock = ClockAligner(policy: clock)
        lastArrival = now
        tokens = burst
        tokensUpdated = now
    }

    /// Token bucket: `rate` frames per second with a burst of one second's worth.
    mutating func admit(now: Int64, rate: Double) -> Bool {
        tokens = min(rate, tokens + Double(max(0, now - tokensUpdated)) * 1e-9 * rate)
        tokensUpdated = now
        if tokens < 1 { return false }
        tokens -= 1
        return true
    }

    /// Newest sample on the daemon timeline.
    var newestDaemonTime: Int64? { ring.newestTime.map { $0 &+ mapping } }

    /// Copies the samples in `(start, end]` (daemon timeline) out as a `ModalityWindow`, or nil if the
    /// data does not cover the window within `maxGap` (warm-up, gaps, a stalled sensor).
    ///
    /// Daemon times are `sensor &+ mapping`, and differences wrap rather than trap: timestamps are bounded
    /// by the protocol (±2^62 ns), but a hostile sender must never be able to crash the daemon.
    func cut(start: Int64, end: Int64, channels: Int, joints: Int, maxGap: Int64) -> ModalityWindow? {
        let range = ring.indices(after: start &- mapping, through: end &- mapping)
        guard range.count >= 2 else { return nil }
        var previous = start
        for i in range {
            let t = ring.time(at: i) &+ mapping
            if t &- previous > maxGap { return nil }
            previous = t
        }
        if end &- previous > maxGap { return nil }

        let count = range.count
        let times = range.map { Double(ring.time(at: $0) &+ mapping &- start) * 1e-9 }
        var values = [Float](repeating: 0, count: ring.stride * count)
        if joints == 0 {
            for (t, i) in range.enumerated() {
                for c in 0..<channels { values[c * count + t] = ring.value(at: i, component: c) }
            }
        } else {
            // Ring samples are joint-major (J × C, as on the wire); windows are C × T × J.
            for (t, i) in range.enumerated() {
                for j in 0..<joints {
                    for c in 0..<channels {
                        values[(c * count + t) * joints + j] = ring.value(at: i, component: j * channels + c)
                    }
                }
            }
        }
        return ModalityWindow(channels: channels, joints: joints, count: count, times: times, values: values)
    }
}
