import Foundation
import Logging

/// The one `LogHandler` of every cmc program: one event per line on stderr (or a given sink).
///
/// - under journald (`$JOURNAL_STREAM` set): `<N>message key=value…` — journald adds the time and files the
///   syslog priority `N`;
/// - `text`: `2026-12-02T17:00:00.123Z info message key=value…`;
/// - `json`: `{"level":"info","msg":"…","ts":"…",key:value…}` for log shippers.
///
/// Metadata are rendered as `key=value` pairs (quoted when they hold spaces, quotes or `=`) so daemon
/// messages stay greppable in every format. swift-log's `StreamLogHandler` is not used: it has no journald
/// priorities and no JSON.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case text, json }
    public typealias Sink = @Sendable (String) -> Void

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let format: Format
    private let journal: Bool
    private let sink: Sink

    /// - Parameters:
    ///   - journal: prefix `<N>` and leave the time to journald; by default when `$JOURNAL_STREAM` is set.
    ///   - sink: where lines go (without the newline); by default stderr.
    public init(level: Logger.Level = .info, format: Format = .text, journal: Bool? = nil, sink: Sink? = nil) {
        self.logLevel = level
        self.format = format
        self.journal = journal ?? (ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil)
        self.sink = sink ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let own = event.metadata { fields.merge(own) { _, new in new } }
        sink(render(level: event.level, message: "\(event.message)", metadata: fields, time: Date()))
    }

    /// The line written for one event (without the newline).
    public func render(level: Logger.Level, message: String, metadata: Logger.Metadata, time: Date) -> String {
        let body: String
        switch format {
        case .text:
            let pairs = Self.pairs(metadata)
            let text = pairs.isEmpty ? message : message + " " + pairs
            body = journal ? text : "\(Self.timestamp(time)) \(level.rawValue) \(text)"
        case .json:
            var object = metadata.mapValues { "\($0)" }
            object["level"] = level.rawValue
            object["msg"] = message
            if !journal { object["ts"] = Self.timestamp(time) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = String(decoding: (try? encoder.encode(object)) ?? Data(), as: UTF8.self)
        }
        return journal ? "<\(Self.syslogPriority(level))>\(body)" : body
    }

    /// The syslog priority journald files a line under.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// `key=value` pairs sorted by key, quoting values that contain spaces, quotes or `=`.
    static func pairs(_ metadata: Logger.Metadata) -> String {
        metadata.sorted { $0.key < $1.key }.map { key, value in
            let text = "\(value)"
            let quoted = text.isEmpty || text.contains { $0 == " " || $0 == "\"" || $0 == "=" }
            return "\(key)=" + (quoted ? "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : text)
        }.joined(separator: " ")
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension Logger.Level {
    /// The levels a configuration or command line may name (swift-log's `trace` and `critical` are not used).
    public static let configurable: [Logger.Level] = [.debug, .info, .notice, .warning, .error]

    /// `debug`, `info`, `notice`, `warning` or `error`; nil for anything else.
    public init?(configured name: String) {
        guard let level = Logger.Level(rawValue: name), Self.configurable.contains(level) else { return nil }
        self = level
    }
}

/// Process-wide logging set-up, called once by each executable before anything logs.
public enum CMCLogging {
    /// Routes every `Logger` to a `LineLogHandler`. `CMC_LOG_DEBUG` in the environment lowers the level to
    /// debug (for tools without a `--log-level`).
    public static func bootstrap(level: Logger.Level = .info, format: LineLogHandler.Format = .text) {
        let level = ProcessInfo.processInfo.environment["CMC_LOG_DEBUG"] != nil ? .debug : level
        LoggingSystem.bootstrap { _ in LineLogHandler(level: level, format: format) }
    }

    /// A logger for library code; its handler is whatever the executable bootstrapped.
    public static func logger(_ label: String) -> Logger { Logger(label: "cmc.\(label)") }
}

extension Logger.Metadata {
    /// Metadata from string pairs: the daemons' `key=value` fields, in the order written.
    public static func fields(_ pairs: KeyValuePairs<String, String>) -> Logger.Metadata {
        Dictionary(pairs.map { ($0.key, Logger.MetadataValue.string($0.value)) }) { _, new in new }
    }
}
