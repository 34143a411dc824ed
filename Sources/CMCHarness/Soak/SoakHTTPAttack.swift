import CMCCore
import Foundation

/// The soak's attack on cmcd's /metrics listener, for the whole run: `idleConnections` connections that
/// never send a byte, each reopened a second after cmcd closes it (by its deadline, or to admit a
/// newcomer), and `slowlorisClients` that send a scrape request one byte every 0.9 s, starting over a
/// second after cmcd cuts them off. `SoakScraper` meanwhile scrapes as Prometheus would; every scrape
/// must succeed. (Reopening at once would be a connection flood — 20 k connections a second here —
/// which no listener without per-client limits can serve through; that is a firewall's job.)
final class SoakHTTPAttack {
    private struct Client {
        var fd: Int32 = -1
        var slowloris: Bool
        var sent = 0
        var nextByte: Int64 = 0
        /// When a closed connection may be reopened.
        var reopen: Int64 = 0
    }

    static let request = Array("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: soak-slowloris\r\n\r\n".utf8)
    private let port: UInt16
    private(set) var counts = SoakAttacks.HTTP()

    init(options: SoakOptions, port: UInt16) {
        self.port = port
        counts.idleConnections = options.idleConnections
        counts.slowlorisClients = options.slowlorisClients
    }

    func run(end: Int64, shouldStop: () -> Bool) {
        var clients =
            (0..<counts.idleConnections).map { _ in Client(slowloris: false) }
            + (0..<counts.slowlorisClients).map { _ in Client(slowloris: true) }
        guard !clients.isEmpty else { return }
        defer { for c in clients where c.fd >= 0 { close(c.fd) } }
        var scratch = [UInt8](repeating: 0, count: 4096)
        while !shouldStop() && MonotonicClock.now() < end {
            let now = MonotonicClock.now()
            for i in clients.indices where clients[i].fd < 0 && now >= clients[i].reopen { open(&clients[i], now: now) }
            for i in clients.indices where clients[i].slowloris && clients[i].fd >= 0 && now >= clients[i].nextByte {
                dribble(&clients[i], now: now)
            }
            var fds = clients.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 50)
            for (i, p) in fds.enumerated() where clients[i].fd >= 0 && p.revents != 0 {
                // Readable: cmcd closed it (or, for a slowloris client that got through, replied).
                let n = recv(clients[i].fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
                if n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { continue }
                if clients[i].slowloris && clients[i].sent < Self.request.count { counts.slowlorisCutOff += 1 }
                close(clients[i].fd)
                clients[i].fd = -1
                clients[i].reopen = now + 1_000_000_000
            }
        }
    }

    private func open(_ client: inout Client, now: Int64) {
        guard let fd = try? PrometheusScrape.connectTCP(host: "127.0.0.1", port: port, timeoutSeconds: nil) else {
            return
        }
        client.fd = fd
        client.sent = 0
        client.nextByte = now
        if !client.slowloris { counts.idleOpened += 1 }
    }

    /// Sends the next byte of the request (the connection may still be in progress: then it waits).
    private func dribble(_ client: inout Client, now: Int64) {
        guard client.sent < Self.request.count else { return }
        var byte = Self.request[client.sent]
        let n = send(client.fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
        if n == 1 {
            client.sent += 1
            counts.slowlorisBytes += 1
            client.nextByte = now + 900_000_000
        } else if !(errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN) {
            counts.slowlorisCutOff += 1
            close(client.fd)
            client.fd = -1
            client.reopen = now + 1_000_000_000
        }
    }
}

/// Scrapes cmcd's /metrics the way Prometheus does, every `scrapeEverySeconds` with a 5-s timeout, and
/// counts what came back: a scrape succeeds when the reply is `200` with cmcd's counters in it.
final class SoakScraper {
    private let every: Double
    private let port: UInt16
    private(set) var counts = SoakAttacks.Scrapes()

    init(options: SoakOptions, port: UInt16) {
        every = options.scrapeEverySeconds
        self.port = port
    }

    func run(start: Int64, end: Int64, shouldStop: () -> Bool) {
        guard every > 0 else { return }
        var times: [Double] = []
        var next = start + 1_000_000_000
        while !shouldStop() && MonotonicClock.now() < end {
            let now = MonotonicClock.now()
            if now < next {
                ReplaySender.sleep(nanoseconds: min(next, end) - now)
                continue
            }
            next += Int64(every * 1e9)
            counts.scrapes += 1
            var problem: String?
            do {
                let reply = try PrometheusScrape.httpGet(
                    host: "127.0.0.1", port: port, path: "/metrics",
                    timeoutSeconds: 5)
                if !reply.hasPrefix("HTTP/1.0 200 ") {
                    problem = reply.isEmpty ? "no reply" : "reply \(reply.prefix(24).debugDescription)"
                } else if !reply.contains("cmc_frames_received_total") {
                    problem = "a reply without cmcd's counters"
                }
            } catch {
                problem = "\(error)"
            }
            let ms = Double(MonotonicClock.now() - now) * 1e-6
            times.append(ms)
            if let problem {
                counts.failures += 1
                if counts.errors.count < 5 { counts.errors.append(String(format: "%@ after %.0f ms", problem, ms)) }
            }
        }
        counts.milliseconds = LatencyStats(times)
    }
}
