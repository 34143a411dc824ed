import CMCCore
import Logging
import CMCTestSupport
import XCTest
@testable import CMCStream

final class LabelSmootherTests: XCTestCase {
    private let names = ["a", "b", "c"]

    func testMovingAverageOverRecentWindows() {
        var s = LabelSmoother(policy: SmoothingPolicy(windows: 2, unknownThreshold: 0.5, topK: 2))
        XCTAssertEqual(s.add([0.8, 0.1, 0.1], windowEnd: 1, classNames: names).label, "a")
        let d = s.add([0.1, 0.8, 0.1], windowEnd: 2, classNames: names) // mean 0.45 / 0.45 / 0.1
        XCTAssertEqual(d.label, "unknown")
        XCTAssertEqual(d.labelIndex, -1)
        XCTAssertEqual(d.confidence, 0.45, accuracy: 1e-6)
        XCTAssertEqual(d.raw.label, "b")
        XCTAssertEqual(d.topK.map(\.label), ["a", "b"]) // tie broken by class order
        XCTAssertEqual(s.add([0.1, 0.8, 0.1], windowEnd: 3, classNames: names).label, "b") // the first window left
    }

    func testThresholdAndHistoryReset() {
        var s = LabelSmoother(policy: SmoothingPolicy(windows: 5, unknownThreshold: 0.7, topK: 3, maxHistorySeconds: 5))
        XCTAssertEqual(s.add([0.6, 0.3, 0.1], windowEnd: 0, classNames: names).label, "unknown")
        _ = s.add([0.1, 0.1, 0.8], windowEnd: 1_000_000_000, classNames: names)
        // Ten seconds later the history is stale and ignored: only this window counts.
        let d = s.add([0.9, 0.05, 0.05], windowEnd: 11_000_000_000, classNames: names)
        XCTAssertEqual(d.label, "a")
        XCTAssertEqual(d.confidence, 0.9, accuracy: 1e-6)
        XCTAssertEqual(d.topK.count, 3)
    }

    func testClassifierOutputValidation() {
        XCTAssertEqual(Classification(probabilities: [2, 2]).validated(classCount: 2), [0.5, 0.5])
        XCTAssertNil(Classification(probabilities: [1, .nan]).validated(classCount: 2))
        XCTAssertNil(Classification(probabilities: [1, -0.5]).validated(classCount: 2))
        XCTAssertNil(Classification(probabilities: [0, 0]).validated(classCount: 2))
        XCTAssertNil(Classification(probabilities: [1]).validated(classCount: 2))
    }
}

final class MetricsTests: XCTestCase {
    func testPrometheusTextFormat() {
        let r = MetricsRegistry()
        r.counter("x_total", help: "Xs.", labels: [("stream", "imu")]).increment(by: 3)
        r.counter("x_total", help: "Xs.", labels: [("stream", "imu")]).increment() // same series
        r.gauge("g", help: "A gauge.").set(1.5)
        let h = r.histogram("h_seconds", help: "H.", labels: [("k", "a\"b")], buckets: [0.1, 1])
        h.observe(0.05)
        h.observe(0.5)
        h.observe(7)
        XCTAssertEqual(
            r.render(),
            """
            # HELP g A gauge.
            # TYPE g gauge
            g 1.5
            # HELP h_seconds H.
            # TYPE h_seconds histogram
            h_seconds_bucket{k="a\\"b",le="0.1"} 1
            h_seconds_bucket{k="a\\"b",le="1"} 2
            h_seconds_bucket{k="a\\"b",le="+Inf"} 3
            h_seconds_sum{k="a\\"b"} 7.55
            h_seconds_count{k="a\\"b"} 3
            # HELP x_total Xs.
            # TYPE x_total counter
            x_total{stream="imu"} 4

            """)
        XCTAssertEqual(h.snapshot.quantileUpperBound(0.5), 1)
        XCTAssertEqual(h.snapshot.quantileUpperBound(0.99), .infinity)
    }

    func testHTTPResponderServesMetricsOnLoopback() throws {
        let r = MetricsRegistry()
        r.counter("cmc_test_total", help: "T.").increment()
        let server = try MetricsHTTPServer(registry: r, port: 0)
        defer { server.stop() }
        XCTAssertGreaterThan(server.port, 0)
        let (status, body) = try httpGet(port: server.port, path: "/metrics")
        XCTAssertEqual(status, "HTTP/1.0 200 OK")
        XCTAssertTrue(body.contains("cmc_test_total 1\n"))
        XCTAssertEqual(try httpGet(port: server.port, path: "/other").status, "HTTP/1.0 404 Not Found")
    }

    func testScrapesSucceedWhileSlowlorisAndIdleConnectionsHoldOn() throws {
        let r = MetricsRegistry()
        r.counter("cmc_test_total", help: "T.").increment()
        let server = try MetricsHTTPServer(registry: r, port: 0)
        defer { server.stop() }
        // 200 connections that never send anything, and one that sends a byte every 0.3 s.
        let idle = (0..<200).map { _ in connected(port: server.port) }
        defer { for fd in idle { close(fd) } }
        let slow = connected(port: server.port)
        defer { close(slow) }
        let dribbled = Locked(0)
        let dribble = Thread {
            for byte in Array("GET /metrics HTTP/1.1\r\n".utf8) {
                var b = byte
                if send(slow, &b, 1, Int32(MSG_NOSIGNAL)) <= 0 { return }
                dribbled.withLock { $0 += 1 }
                Thread.sleep(forTimeInterval: 0.3) // the attack's pace, not a wait
            }
        }
        dribble.start()
        eventually(timeout: 5, "the slow client under way") { dribbled.current >= 2 }
        for _ in 0..<3 {
            let started = Date()
            let (status, body) = try httpGet(port: server.port, path: "/metrics")
            XCTAssertEqual(status, "HTTP/1.0 200 OK")
            XCTAssertTrue(body.contains("cmc_test_total 1\n"))
            XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "a scrape must not wait behind other clients")
        }
    }

    func testListenAddressIsConfigurableAndChecked() throws {
        let server = try MetricsHTTPServer(registry: MetricsRegistry(), host: "0.0.0.0", port: 0)
        defer { server.stop() }
        XCTAssertEqual(try httpGet(port: server.port, path: "/metrics").status, "HTTP/1.0 200 OK")
        XCTAssertThrowsError(try MetricsHTTPServer(registry: MetricsRegistry(), host: "localhost:80", port: 0))
    }

    private func connected(port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        XCTAssertEqual(rc, 0)
        return fd
    }

    private func httpGet(port: UInt16, path: String) throws -> (status: String, body: String) {
        let fd = connected(port: port)
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = text.components(separatedBy: "\r\n").first ?? ""
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }
}

final class LoggerTests: XCTestCase {
    func testRateLimitingCountsSuppressedLines() {
        let capture = LogCapture()
        let log = capture.logger()
        let limits = LogRateLimits()
        XCTAssertTrue(log.rateLimited("k", .warning, in: limits, interval: 10, now: 0, "bad frame"))
        for i in 1...5 {
            XCTAssertFalse(
                log.rateLimited("k", .warning, in: limits, interval: 10, now: Int64(i) * 1_000_000_000, "bad frame"))
        }
        XCTAssertTrue(log.rateLimited("other", .warning, in: limits, interval: 10, now: 1, "other key"))
        XCTAssertTrue(log.rateLimited("k", .warning, in: limits, interval: 10, now: 11_000_000_000, "bad frame"))
        XCTAssertEqual(capture.lines.current, ["<4>bad frame", "<4>other key", "<4>bad frame (5 similar suppressed)"])
    }

    func testDistinctKeysFromTheWireCannotGrowTheLimitTableOrFloodTheLog() {
        let capture = LogCapture()
        let logger = capture.logger()
        let limits = LogRateLimits()
        // 20,000 frames of invented subjects, each with its own key, within one interval.
        for subject in 0..<20_000 {
            logger.rateLimited(
                "mismatch.imu.\(subject)", .warning, in: limits, now: 1_000,
                "frame of subject \(subject) does not fit")
        }
        let lines = capture.lines.current
        XCTAssertLessThanOrEqual(
            lines.count, LogRateLimits.maxKeys + 1,
            "one line per remembered key, then one for all the rest")
        // Once the interval is over, old keys are forgotten and new ones log again.
        XCTAssertTrue(
            logger.rateLimited("mismatch.imu.fresh", .warning, in: limits, now: 1_000 + 11_000_000_000, "fresh"))
    }

    func testLinesBelowTheLevelAreNeitherLoggedNorCountedAgainstTheLimit() {
        let capture = LogCapture()
        let log = capture.logger(level: .info)
        let limits = LogRateLimits()
        log.warning("w")
        log.debug("hidden")
        XCTAssertFalse(log.rateLimited("k", .debug, in: limits, now: 0, "hidden too"))
        XCTAssertTrue(log.rateLimited("k", .notice, in: limits, now: 1, "shown"))
        XCTAssertEqual(capture.lines.current, ["<4>w", "<5>shown"])
    }

    func testTextAndJSONLinesCarryLevelTimeAndFields() throws {
        let handler = LineLogHandler(level: .info, format: .text, journal: false) { _ in }
        let time = Date(timeIntervalSince1970: 1_764_694_800.25)
        let text = handler.render(
            level: .notice, message: "model reloaded",
            metadata: .fields(["path": "/var/lib/cmc/a b.safetensors", "n": "3"]), time: time)
        XCTAssertEqual(text, #"2025-12-02T17:00:00.250Z notice model reloaded n=3 path="/var/lib/cmc/a b.safetensors""#)

        let json = LineLogHandler(level: .info, format: .json, journal: false) { _ in }
            .render(level: .error, message: "proxy failed", metadata: .fields(["reason": "x"]), time: time)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        XCTAssertEqual(
            object, ["level": "error", "msg": "proxy failed", "reason": "x", "ts": "2025-12-02T17:00:00.250Z"])

        let journal = LineLogHandler(level: .info, format: .json, journal: true) { _ in }
            .render(level: .warning, message: "m", metadata: [:], time: time)
        XCTAssertEqual(journal, #"<4>{"level":"warning","msg":"m"}"#, "journald adds the time itself")
    }
}
