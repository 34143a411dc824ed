import Foundation

/// Monotonic time for measurements and timeouts.
public enum Clock {
    /// Seconds on the monotonic clock.
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Wall time of `body`, in seconds.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = now
        try body()
        return now - t0
    }
}
