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

    /// Decided by the request's head alone (up to its blank line), so the answer does not depend on how
    /// TCP split the bytes or on what a client sent after the head.
    public static func parse(_ request: [UInt8]) -> MetricsRequest {
        guard let end = headEnd(request) else { return request.count > maxBytes ? .tooLarge : .incomplete }
        let line = String(decoding: request[..<end].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0] == "GET" else { return .notFound }
        return parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") ? .metrics : .notFound
    }

    /// Where the head ends, if within `maxBytes`: after the first byte that completes a blank line,
    /// CRLF CRLF or (HTTP/0.9-style clients) LF LF.
    private static func headEnd(_ request: [UInt8]) -> Int? {
        for i in 1..<max(1, min(request.count, maxBytes)) where request[i] == 10 {
            if request[i - 1] == 10 { return i + 1 }
            if i >= 3 && request[i - 3] == 13 && request[i - 2] == 10 && request[i - 1] == 13 { return i + 1 }
        }
        return nil
    }

    /// The whole HTTP/1.0 reply to a complete request; `body` renders the metrics (called for `.metrics` only).
    public func reply(metrics body: () -> String) -> [UInt8] {
        let isMetrics = self == .metrics
        let text = isMetrics ? body() : "not found\n"
        let status = isMetrics ? "200 OK" : "404 Not Found"
        let contentType = isMetrics ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain"
        let head =
            "HTTP/1.0 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(text.utf8.count)\r\n"
            + "Connection: close\r\n\r\n"
        return Array((head + text).utf8)
    }
}
