import Foundation

/// A tiny loopback HTTP/1.0 responder for Prometheus scrapes: `GET /metrics` returns the registry in
/// text format, anything else 404. One thread, one request at a time, connection closed after each
/// reply — a scraper every few seconds needs nothing more, and nothing more can go wrong.
public final class MetricsHTTPServer: Sendable {
    public let port: UInt16
    private let listener: Int32
    private let stopFlag = Locked(false)
    private let done = DispatchSemaphore(value: 0)

    /// Binds 127.0.0.1:`port` (0 picks a free port, see `port`) and starts serving on its own thread.
    public init(registry: MetricsRegistry, port: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.posixError("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // loopback only, never a public interface
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else { let e = Self.posixError("bind 127.0.0.1:\(port)"); close(fd); throw e }
        listener = fd
        self.port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve(registry) }
        thread.name = "cmc-metrics-http"
        thread.start()
    }

    /// Stops accepting and waits for the serving thread to finish (at most ~200 ms).
    public func stop() {
        let first = stopFlag.withLock { stopped in defer { stopped = true }; return !stopped }
        guard first else { return }
        done.wait()
        close(listener)
    }

    private func serve(_ registry: MetricsRegistry) {
        defer { done.signal() }
        while !stopFlag.current {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            respond(client, registry)
            close(client)
        }
    }

    private func respond(_ client: Int32, _ registry: MetricsRegistry) {
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while request.count < 8192 {
            let n = recv(client, &chunk, chunk.count, 0)
            if n <= 0 { break }
            request += chunk[0..<n]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let isMetrics = parts.count >= 2 && parts[0] == "GET" && (parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?"))
        let body = isMetrics ? registry.render() : "not found\n"
        let status = isMetrics ? "200 OK" : "404 Not Found"
        let contentType = isMetrics ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain"
        let head = "HTTP/1.0 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array((head + body).utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            bytes = bytes.dropFirst(n)
        }
    }

    private static func posixError(_ what: String) -> NSError {
        NSError(domain: NSPOSIXErrorDomain, code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }
}
