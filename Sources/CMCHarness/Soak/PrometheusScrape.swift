import CMCDaemon
import Foundation

/// One scrape of a Prometheus text endpoint: every sample by metric name and labels.
public struct PrometheusScrape: Sendable {
    public struct Sample: Sendable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public var samples: [Sample]

    /// `GET http://127.0.0.1:PORT/metrics` over loopback (HTTP/1.0, the server closes after replying).
    public static func fetch(host: String = "127.0.0.1", port: UInt16, timeoutSeconds: Int = 5) throws
        -> PrometheusScrape
    {
        let text = try httpGet(host: host, port: port, path: "/metrics", timeoutSeconds: timeoutSeconds)
        guard let body = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
        return parse(String(text[body.upperBound...]))
    }

    /// A minimal HTTP/1.0 GET to an IPv4 address; the whole response (status line, headers, body).
    /// `timeoutSeconds` bounds the connection's set-up and each wait for data.
    public static func httpGet(host: String, port: UInt16, path: String, timeoutSeconds: Int = 5) throws -> String {
        let fd = try connectTCP(host: host, port: port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host)\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// A TCP connection to an IPv4 address: blocking, with `timeoutSeconds` on connecting, sending and
    /// receiving, or (nil) non-blocking, returned while the connection may still be in progress.
    static func connectTCP(host: String, port: UInt16, timeoutSeconds: Int?) throws -> Int32 {
        let nonBlocking = timeoutSeconds == nil ? Int32(SOCK_NONBLOCK.rawValue) : 0
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | nonBlocking, 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        if let timeoutSeconds {
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 || (timeoutSeconds == nil && errno == EINPROGRESS) else {
            let code = POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED
            close(fd)
            throw POSIXError(code)
        }
        return fd
    }

    /// Parses the text exposition format (comments skipped; label values without escaped quotes,
    /// which is all cmcd emits).
    public static func parse(_ text: String) -> PrometheusScrape {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            var name = String(series)
            if let open = series.firstIndex(of: "{"), series.hasSuffix("}") {
                name = String(series[..<open])
                for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(
                    separator: ",")
                {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    if kv.count == 2 {
                        labels[String(kv[0])] = String(kv[1]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    }
                }
            }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        return PrometheusScrape(samples: samples)
    }

    /// Sum of every sample of `name` whose labels include `matching`.
    public func sum(_ name: String, _ matching: [String: String] = [:]) -> Double {
        samples.filter { s in s.name == name && matching.allSatisfy { k, v in s.labels[k] == v } }.reduce(0) {
            $0 + $1.value
        }
    }

    /// Per value of `label`, the sum of `name` (e.g. drops by reason), zeros left out.
    public func breakdown(_ name: String, by label: String, _ matching: [String: String] = [:]) -> [String: Double] {
        var out: [String: Double] = [:]
        for s in samples where s.name == name && matching.allSatisfy({ k, v in s.labels[k] == v }) {
            if let key = s.labels[label] { out[key, default: 0] += s.value }
        }
        return out.filter { $0.value != 0 }
    }
}
