import CMCStream
import Foundation

/// The daemons' log lines on stderr, one event per line.
///
/// - under journald (`$JOURNAL_STREAM` set): `<N>message` — journald adds the time and files the priority;
/// - `text`: `2025-11-28T04:13:00.123Z info message`;
/// - `json`: `{"level":"info","msg":"…","ts":"…"}` for log shippers.
///
/// Daemon-level messages are written as `event key=value …` so they stay greppable in every format.
public enum DaemonLog {
    public enum Format: String, Sendable { case text, json }

    public static func logger(format: Format, minimum: LogPriority,
                              journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil,
                              write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) -> StreamLogger {
        // The StreamLogger is asked for `<N>` prefixes always, so this sink learns each line's priority.
        StreamLogger(minimum: minimum, journal: true) { line in
            let (priority, message) = split(line)
            write(render(priority: priority, message: message, format: format, journal: journal, time: Date()))
        }
    }

    static func split(_ line: String) -> (LogPriority, String) {
        guard line.hasPrefix("<"), let close = line.firstIndex(of: ">"),
              let n = Int(line[line.index(after: line.startIndex)..<close]), let p = LogPriority(rawValue: n) else { return (.info, line) }
        return (p, String(line[line.index(after: close)...]))
    }

    static func render(priority: LogPriority, message: String, format: Format, journal: Bool, time: Date) -> String {
        let body: String
        switch format {
        case .text:
            body = journal ? message : "\(timestamp(time)) \(name(priority)) \(message)"
        case .json:
            var fields = ["level": name(priority), "msg": message]
            if !journal { fields["ts"] = timestamp(time) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = String(decoding: (try? encoder.encode(fields)) ?? Data(), as: UTF8.self)
        }
        return journal ? "<\(priority.rawValue)>\(body)" : body
    }

    static func name(_ p: LogPriority) -> String {
        switch p { case .error: "error"; case .warning: "warning"; case .notice: "notice"; case .info: "info"; case .debug: "debug" }
    }

    private static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// `key=value` pairs, quoting values that contain spaces, quotes or `=`.
    public static func fields(_ pairs: KeyValuePairs<String, String>) -> String {
        pairs.map { key, value in
            let needsQuotes = value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            return "\(key)=" + (needsQuotes ? "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : value)
        }.joined(separator: " ")
    }
}
