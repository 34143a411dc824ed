/// How sensor timestamps relate to the daemon's clock.
public enum ClockMode: String, Sendable, Equatable {
    /// Each stream has its own clock: map it onto the daemon's monotonic clock (lower envelope).
    case aligned
    /// Sensors and daemon share one clock (e.g. PTP-disciplined): trust the timestamps as they are.
    case shared
}

public struct ClockPolicy: Sendable, Equatable {
    public var mode: ClockMode = .aligned
    /// How fast the offset estimate may rise, in parts per million of elapsed time. It must exceed the
    /// real rate difference between sensor and daemon clocks (crystals: tens of ppm) and bounds how fast
    /// a transient delay is forgotten.
    public var driftPPM: Double = 500
    /// An offset change larger than this is a clock step, not jitter or drift.
    public var stepThresholdSeconds: Double = 1.0
    /// A step that persists this long is accepted as the new clock (e.g. the sensor was re-synced).
    public var resyncAfterSeconds: Double = 2.0
    /// In shared mode, samples stamped further than this ahead of the daemon are refused.
    public var maxFutureSeconds: Double = 0.5

    public init() {}

    /// The time base events name in their `clock` field.
    public var eventClock: String { mode == .shared ? "shared" : "monotonic" }
}

/// Maps one stream's sensor timestamps onto the daemon's monotonic clock.
///
/// Each observation gives `d = arrival − sensorTime`, which is the true offset plus a non-negative
/// transport delay. The smallest `d` seen is therefore the best offset estimate (the "lower envelope",
/// as NTP and LSL use): it drops at once when a faster-than-ever message arrives, and rises at most
/// `driftPPM` so a sensor clock running slow is still followed. A sudden change beyond the step
/// threshold is treated as an outlier until it has persisted for `resyncAfterSeconds`, then adopted
/// (the caller must then discard buffered samples, whose timestamps belong to the old clock).
public struct ClockAligner: Sendable {
    public enum Verdict: Equatable, Sendable {
        /// Use `daemonTime = sensorTime + offset`.
        case accepted(offset: Int64)
        /// The clock stepped and the new offset was adopted: previously buffered samples are invalid.
        case resynchronised(offset: Int64)
        /// Timestamp too far in the future: refuse the frame.
        case future
    }

    public let policy: ClockPolicy
    public private(set) var offset: Int64?
    private var lastUpdate: Int64 = 0
    /// Start (arrival time) and minimum `d` of a run of observations that disagree with `offset` by
    /// more than the step threshold, in the same direction.
    private var excursion: (since: Int64, minimum: Int64, ahead: Bool)?

    public init(policy: ClockPolicy) { self.policy = policy }

    /// Feeds one observation: the sensor time of the newest sample of a frame and when it arrived.
    public mutating func observe(sensorTime: Int64, arrival: Int64) -> Verdict {
        if policy.mode == .shared {
            let ahead = sensorTime &- arrival
            return ahead > Int64(policy.maxFutureSeconds * 1e9) ? .future : .accepted(offset: 0)
        }
        let d = arrival &- sensorTime
        guard var estimate = offset else {
            offset = d
            lastUpdate = arrival
            return .accepted(offset: d)
        }
        let elapsed = max(0, arrival - lastUpdate)
        estimate &+= Int64(Double(elapsed) * policy.driftPPM * 1e-6)
        lastUpdate = arrival
        let step = Int64(policy.stepThresholdSeconds * 1e9)
        let resync = Int64(policy.resyncAfterSeconds * 1e9)

        if d < estimate - step || d > estimate + step {
            // Sensor time far ahead of the envelope (d much smaller) or far behind (d much larger).
            let ahead = d < estimate
            if var run = excursion, run.ahead == ahead {
                run.minimum = min(run.minimum, d)
                excursion = run
                if arrival - run.since >= resync {
                    offset = run.minimum
                    excursion = nil
                    return .resynchronised(offset: run.minimum)
                }
            } else {
                excursion = (arrival, d, ahead)
            }
            offset = estimate
            // Ahead: mapping with the old offset would put the samples in the future. Behind: they map
            // into the past, and the ring buffer refuses them as late.
            return ahead ? .future : .accepted(offset: estimate)
        }
        excursion = nil
        estimate = min(estimate, d)
        offset = estimate
        return .accepted(offset: estimate)
    }
}
