/// What the metrics listener makes of the bytes a client has sent so far: a pure function of those
/// bytes, so the rules that decide when a request is complete (and what it asks for) can be tested and
/// fuzzed without a socket.
public enum MetricsRequest: Equatable, Sendable {
    /// No end of request yet: keep reading (until the connection's deadline).
    case incomplete
    /// More than `maxBytes` without an end of request: close the connection.
    case tooLarge
    /// `GET /metrics` (a query string is ignored).
    case metrics
    /// Any other complete request.
    case notFound

    /// A scrape request is one short line and a few headers; anything longer is not a scraper.
    public static let maxBytes = 8192

    public static func parse(_ request: [UInt8]) -> MetricsRequest {
        if request.count > maxBytes { return .tooLarge }
        guard isComplete(request) else { return .incomplete }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0] == "GET" else { return .notFound }
        return parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") ? .metrics : .notFound
    }

    private static func isComplete(_ request: [UInt8]) -> Bool {
        guard request.count >= 4 else { return false }
        for i in 0...(request.count - 4)
        where request[i] == 13 && request[i + 1] == 10 && request[i + 2] == 13 && request[i + 3] == 10 {
            return true
        }
        // HTTP/0.9-style clients end with a single line.
        return request.count >= 2 && request.suffix(2) == [10, 10]
    }

    /// The whole HTTP/1.0 reply to a complete request; `body` renders the metrics (called for `.metrics` only).
    public func reply(metrics body: () -> String) -> [UInt8] {
        let isMetrics = self == .metrics
        let text = isMetrics ? body() : "not found\n"
        let status = isMetrics ? "200 OK" : "404 Not Found"
        let contentType = isMetrics ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain"
        let head = "HTTP/1.0 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(text.utf8.count)\r\n"
            + "Connection: close\r\n\r\n"
        return Array((head + text).utf8)
    }
}
