import CMCCore
import Foundation

/// syslog priorities, as journald reads them from `<N>` line prefixes.
public enum LogPriority: Int, Sendable, Comparable {
    case error = 3, warning = 4, notice = 5, info = 6, debug = 7
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Line logger for the daemon: one line per event on stderr, prefixed with `<N>` when stderr goes to
/// the journal (`$JOURNAL_STREAM` is set) so journald records the priority.
///
/// `rateLimited` is for anything a remote peer can trigger at will (malformed frames, floods): the first
/// line for a key is printed, then at most one per `interval`, carrying the count suppressed meanwhile,
/// so a hostile sender cannot fill the disk or drown the other messages.
public final class StreamLogger: Sendable {
    public typealias Sink = @Sendable (String) -> Void

    private let sink: Sink
    private let journalPrefix: Bool
    private let minimum: LogPriority
    private let limits = Locked([String: (last: Int64, suppressed: Int)]())

    public init(minimum: LogPriority = .info, journal: Bool? = nil, sink: Sink? = nil) {
        self.minimum = minimum
        self.journalPrefix = journal ?? (ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil)
        self.sink = sink ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    public func log(_ priority: LogPriority, _ message: @autoclosure () -> String) {
        guard priority <= minimum else { return }
        sink(journalPrefix ? "<\(priority.rawValue)>\(message())" : message())
    }

    /// Keys remembered at once: callers build keys from what a peer sends, so the table must not grow
    /// with it. Past this, keys whose interval is over are forgotten; if none is, further keys share
    /// one limit (`overflowKey`), so a flood of distinct keys still logs one line per interval.
    public static let maxKeys = 256
    public static let overflowKey = "(too many distinct messages)"

    /// Logs at most one line per `interval` seconds for `key`. Returns whether it logged.
    @discardableResult
    public func rateLimited(_ key: String, _ priority: LogPriority, interval: Double = 10,
                            now: Int64 = MonotonicClock.now(), _ message: @autoclosure () -> String) -> Bool {
        let period = Int64(interval * 1e9)
        let suppressed: Int? = limits.withLock { table in
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
        guard let suppressed else { return false }
        log(priority, suppressed > 0 ? "\(message()) (\(suppressed) similar suppressed)" : message())
        return true
    }
}
