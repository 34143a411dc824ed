import Logging

/// Rate limits for messages a remote peer can trigger at will (malformed frames, floods): the first line
/// for a key is logged, then at most one per interval, carrying the count suppressed meanwhile, so a
/// hostile sender can neither fill the disk nor drown the other messages.
public final class LogRateLimits: Sendable {
    /// Keys remembered at once: callers build keys from what a peer sends, so the table must not grow
    /// with it. Past this, keys whose interval is over are forgotten; if none is, further keys share
    /// one limit (`overflowKey`), so a flood of distinct keys still logs one line per interval.
    public static let maxKeys = 256
    public static let overflowKey = "(too many distinct messages)"

    private let table = Locked([String: (last: Int64, suppressed: Int)]())

    public init() {}

    /// Whether a line for `key` may be logged at `now`, and how many were suppressed since the last one;
    /// nil when it must be suppressed (and is counted).
    public func admit(_ key: String, interval: Double, now: Int64) -> Int? {
        let period = Int64(interval * 1e9)
        return table.withLock { table in
            var key = key
            if table[key] == nil && table.count >= Self.maxKeys {
                table = table.filter { now - $0.value.last < period }
                if table.count >= Self.maxKeys { key = Self.overflowKey }
            }
            if let entry = table[key], now - entry.last < period {
                table[key] = (entry.last, entry.suppressed + 1)
                return nil
            }
            let count = table[key]?.suppressed ?? 0
            table[key] = (now, 0)
            return count
        }
    }
}

extension Logger {
    /// Logs at most one line per `interval` seconds for `key` (see `LogRateLimits`). Returns whether it logged.
    @discardableResult
    public func rateLimited(
        _ key: String, _ level: Logger.Level, in limits: LogRateLimits, interval: Double = 10,
        now: Int64 = MonotonicClock.now(), _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> Logger.Metadata? = nil
    ) -> Bool {
        guard self.logLevel <= level, let suppressed = limits.admit(key, interval: interval, now: now) else {
            return false
        }
        let text = message()
        log(
            level: level, "\(suppressed > 0 ? "\(text) (\(suppressed) similar suppressed)" : text)",
            metadata: metadata())
        return true
    }
}
