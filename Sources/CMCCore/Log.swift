import Foundation

/// Minimal leveled logging to stderr, shared by the libraries. When stderr goes to the journal
/// ($JOURNAL_STREAM set), lines carry `<N>` syslog priority prefixes so journald files them right.
public enum Log {
    public enum Level: Int, Sendable, Comparable {
        case error = 3, warning = 4, info = 6, debug = 7
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var tag: String {
            switch self { case .error: "error"; case .warning: "warning"; case .info: "info"; case .debug: "debug" }
        }
    }

    private static let journal = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
    nonisolated(unsafe) private static var threshold: Level =
        ProcessInfo.processInfo.environment["CMC_LOG_DEBUG"] != nil ? .debug : .info
    private static let lock = NSLock()


    public static func write(_ level: Level, _ message: @autoclosure () -> String) {
        let enabled = lock.withLock { level <= threshold }
        guard enabled else { return }
        let line = (journal ? "<\(level.rawValue)>" : "") + "\(level.tag): \(message())\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    public static func error(_ m: @autoclosure () -> String) { write(.error, m()) }
    public static func warning(_ m: @autoclosure () -> String) { write(.warning, m()) }
    public static func info(_ m: @autoclosure () -> String) { write(.info, m()) }
    public static func debug(_ m: @autoclosure () -> String) { write(.debug, m()) }
}
