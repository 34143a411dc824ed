import Foundation

/// CLOCK_MONOTONIC: the daemon's timeline and every duration measured here (it never steps, unlike
/// wall time). Named for what it is: Foundation's and the standard library's `Clock` stay unshadowed.
public enum MonotonicClock {
    /// Nanoseconds on the monotonic clock.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Nanoseconds since the Unix epoch (wall time, for timestamps people read).
    public static func unixNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Seconds on the monotonic clock.
    public static var seconds: Double { Double(now()) * 1e-9 }

    /// Wall time of `body`, in seconds.
    public static func measure(_ body: () throws -> Void) rethrows -> Double {
        let t0 = now()
        try body()
        return Double(now() - t0) * 1e-9
    }
}
