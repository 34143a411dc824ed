import CMCCore
import Foundation

/// A tiny HTTP/1.0 responder for Prometheus scrapes: `GET /metrics` returns the registry in text
/// format, anything else 404; the connection closes after each reply.
///
/// One thread runs a `poll(2)` loop over the listener and every open connection, all non-blocking, so
/// no client can hold it up: each connection has `requestDeadline` from its accept to its complete
/// request and reply (a client dribbling a byte a second is cut off), at most `maxConnections` are
/// open (past that the oldest connection with no reply queued is closed to admit the newcomer, and a
/// newcomer's request is read as it is accepted, so idle connections, even reopened as fast as they
/// are closed, cannot lock a scraper out), and requests are bounded to 8 KiB (`MetricsRequest` decides
/// what a request is). That is all a scraper every few seconds needs; a full HTTP stack (swift-nio)
/// would add start-up time and megabytes to the daemon for nothing it uses.
public final class MetricsHTTPServer: Sendable {
    public let host: String
    public let port: UInt16
    public static let maxConnections = 64
    public static let requestDeadlineSeconds = 2.0
    private let listener: Int32
    private let stopFlag = Locked(false)
    private let done = DispatchSemaphore(value: 0)

    /// Binds `host:port` (IPv4 dotted quad; 0 picks a free port, see `port`) and starts serving on its
    /// own thread. The default is loopback: exposing metrics on a network is a decision.
    public init(registry: MetricsRegistry, host: String = "127.0.0.1", port: UInt16 = 0) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw NSError(
                domain: NSPOSIXErrorDomain, code: Int(EINVAL),
                userInfo: [NSLocalizedDescriptionKey: "metrics address \"\(host)\" is not an IPv4 address"])
        }
        let fd = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Self.posixError("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else {
            let e = Self.posixError("bind \(host):\(port)")
            close(fd)
            throw e
        }
        listener = fd
        self.host = host
        self.port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve(registry) }
        thread.name = "cmc-metrics-http"
        thread.start()
    }

    /// Stops accepting, closes every connection and waits for the serving thread (at most ~100 ms).
    public func stop() {
        let first = stopFlag.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        done.wait()
        close(listener)
    }

    private struct Connection {
        let fd: Int32
        let deadline: Int64
        var request: [UInt8] = []
        var reply: ArraySlice<UInt8>?
    }

    private func serve(_ registry: MetricsRegistry) {
        var connections: [Connection] = []
        defer {
            for c in connections { close(c.fd) }
            done.signal()
        }
        let deadline = Int64(Self.requestDeadlineSeconds * 1e9)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !stopFlag.current {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            fds += connections.map { pollfd(fd: $0.fd, events: Int16($0.reply == nil ? POLLIN : POLLOUT), revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 100)
            let now = MonotonicClock.now()
            var keep: [Connection] = []
            for (i, var c) in connections.enumerated() {
                let events = Int32(fds[i + 1].revents)
                var open = now < c.deadline
                if open && events & (POLLERR | POLLHUP | POLLNVAL) != 0 && c.reply == nil { open = false }
                if open && c.reply == nil && events & POLLIN != 0 { open = Self.read(&c, &chunk, registry) }
                if open, var reply = c.reply, events & POLLOUT != 0 {
                    let n = reply.withUnsafeBytes {
                        send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    }
                    if n > 0 {
                        reply = reply.dropFirst(n)
                    } else if !(errno == EAGAIN || errno == EWOULDBLOCK) {
                        open = false
                    }
                    c.reply = reply
                    if reply.isEmpty { open = false }
                }
                if open { keep.append(c) } else { close(c.fd) }
            }
            connections = keep
            // At most half the slots' worth of newcomers per round: the connections accepted in one round
            // are read (and their replies queued) in the next, before newcomers can push them out.
            var admitted = 0
            while Int32(fds[0].revents) & POLLIN != 0, admitted < Self.maxConnections / 2,
                case let client = accept(listener, nil, nil), client >= 0
            {
                admitted += 1
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                // A scraper sends its request as soon as it is connected: read it now, so that its
                // connection has a reply queued and is not the one that gives way below.
                var fresh = Connection(fd: client, deadline: now + deadline)
                guard Self.read(&fresh, &chunk, registry) else {
                    close(client)
                    continue
                }
                if connections.count >= Self.maxConnections {
                    // The oldest connection with nothing to answer yet (idle, or dribbling its request)
                    // gives way to the newcomer; one with a reply queued finishes first.
                    close(connections.remove(at: connections.firstIndex { $0.reply == nil } ?? 0).fd)
                }
                connections.append(fresh)
            }
        }
    }

    /// Reads what the client has sent; false when the connection is to be closed (hung up, request
    /// too large). A complete request gets its reply queued.
    private static func read(_ c: inout Connection, _ chunk: inout [UInt8], _ registry: MetricsRegistry) -> Bool {
        let n = recv(c.fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
        if n <= 0 { return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) }
        c.request += chunk[0..<n]
        switch MetricsRequest.parse(c.request) {
        case .incomplete: return true
        case .tooLarge: return false
        case let request:
            c.reply = request.reply(metrics: registry.render)[...]
            return true
        }
    }

    private static func posixError(_ what: String) -> NSError {
        NSError(
            domain: NSPOSIXErrorDomain, code: Int(errno),
            userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }
}
