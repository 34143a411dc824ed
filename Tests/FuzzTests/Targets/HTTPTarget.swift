import CMCStream
import Foundation

/// `MetricsRequest.parse`, the /metrics listener's request parser. The listener calls it on the bytes
/// received so far after every `recv`, so its answer must not depend on how TCP split the request: once
/// a prefix is decided (complete or too large), every longer input gets the same decision, and a
/// request longer than the limit is never left waiting. A reply must carry its body's exact length.
enum HTTPTarget: FuzzTarget {
    static let name = "http"

    static func run(_ bytes: [UInt8]) -> String? {
        let whole = MetricsRequest.parse(bytes)
        if bytes.count > MetricsRequest.maxBytes && whole == .incomplete {
            return "\(bytes.count) bytes (limit \(MetricsRequest.maxBytes)) still incomplete"
        }
        // Where a recv could end: after each line feed (the first 64), and around the limit.
        var cuts = bytes.indices.filter { bytes[$0] == 10 }.prefix(64).map { $0 + 1 }
        cuts += [1, bytes.count / 2, MetricsRequest.maxBytes, MetricsRequest.maxBytes + 1]
        for cut in cuts where cut < bytes.count {
            let early = MetricsRequest.parse(Array(bytes[..<cut]))
            if early != .incomplete && early != whole {
                return "the first \(cut) bytes read as \(early), all \(bytes.count) as \(whole)"
            }
        }
        if whole == .metrics || whole == .notFound {
            let body = "# HELP x\nx 1\n"
            let reply = String(decoding: whole.reply { body }, as: UTF8.self)
            guard let split = reply.range(of: "\r\n\r\n") else { return "reply without an end of headers" }
            let head = reply[..<split.lowerBound]
            let text = reply[split.upperBound...]
            if !head.contains("\r\nContent-Length: \(text.utf8.count)\r\n") {
                return "Content-Length does not match a body of \(text.utf8.count) bytes"
            }
            if (whole == .metrics) != head.hasPrefix("HTTP/1.0 200 ") {
                return "status line \(head.prefix(20)) for \(whole)"
            }
        }
        return nil
    }

    static func seeds() -> [[UInt8]] {
        [
            "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", "GET /metrics?x=1 HTTP/1.1\r\nAccept: */*\r\n\r\n",
            "GET /\r\n\r\n", "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", "GET /metrics\n\n",
            "GET /metrics HTTP/1.0\r\nX: " + String(repeating: "a", count: 100) + "\r\n",
        ].map { Array($0.utf8) }
    }
}
