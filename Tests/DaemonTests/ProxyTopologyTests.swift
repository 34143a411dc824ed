import CMCStream
import Foundation
import XCTest

/// Two `cmcd` instances behind one `cmc-proxy`, each serving a share of the subjects (loopback only),
/// with `cmc-record` capturing the proxied traffic.
final class ProxyTopologyTests: XCTestCase {
    func testTwoInstancesSplitTheSubjectsThroughTheProxy() throws {
        let proxyBinary = try Binaries.require("cmc-proxy")
        let cmcd = try Binaries.require("cmcd")
        let recordBinary = try Binaries.require("cmc-record")
        let dir = try temporaryDirectory(self)
        let proxyNotify = try NotifySocket()
        let proxy = try ChildProcess(
            proxyBinary,
            [
                "--frontend", "bind:tcp://127.0.0.1:*", "--backend", "bind:tcp://127.0.0.1:*",
                "--metrics-port", "0",
            ],
            environment: ["NOTIFY_SOCKET": proxyNotify.path])
        let proxyStatus = try XCTUnwrap(proxyNotify.wait(for: "STATUS=proxying", timeout: 20), proxy.output)
        let frontend = try XCTUnwrap(statusField(proxyStatus, "frontend"))
        let backend = try XCTUnwrap(statusField(proxyStatus, "backend"))

        var instances: [(ChildProcess, NotifySocket)] = []
        for (name, subjects) in [("a_", "1,2"), ("b_", "3,4")] {
            let model = try TinyBundle.file(in: dir, name: "\(name)model.safetensors", classPrefix: name)
            let notify = try NotifySocket()
            let daemon = try ChildProcess(
                cmcd,
                [
                    "--model", model.path, "--subjects", subjects, "--imu", "connect:\(backend)",
                    "--skeleton", "connect:\(backend)", "--labels", "connect:\(frontend)",
                    "--no-metrics", "--threshold", "0", "--smoothing", "1",
                ],
                environment: ["NOTIFY_SOCKET": notify.path])
            XCTAssertNotNil(notify.wait(for: "STATUS=serving", timeout: 30), daemon.output)
            instances.append((daemon, notify))
        }
        let recording = dir.appendingPathComponent("proxied.cmcrec")
        let recorder = try ChildProcess(
            recordBinary,
            [
                recording.path, "--imu", "connect:\(backend)", "--skeleton", "connect:\(backend)",
                "--labels", "connect:\(backend)",
            ])
        XCTAssertTrue(recorder.waitForOutput("recording", timeout: 10), recorder.output)

        // Sensors publish into the frontend, label consumers read the backend.
        let events = try LiveStreams.run(
            subjects: [1, 2, 3, 4], seconds: 2.6, imu: frontend, skeleton: frontend, labels: backend)
        for subject: UInt32 in 1...4 {
            let mine = events.filter { $0.subject == subject }
            XCTAssertGreaterThanOrEqual(mine.count, 2, "subject \(subject): \(instances.map(\.0.output))")
            let prefix = subject <= 2 ? "a_" : "b_"
            XCTAssertTrue(
                mine.allSatisfy { $0.label.hasPrefix(prefix) },
                "subject \(subject) served by the wrong instance: \(mine.map(\.label))")
        }
        // Each subject was classified once, by one instance: one event per window end.
        for subject: UInt32 in 1...4 {
            let ends = events.filter { $0.subject == subject }.map(\.windowEndNanoseconds)
            XCTAssertEqual(ends.count, Set(ends).count, "duplicate labels for subject \(subject)")
        }

        // The proxy's own metrics count what it forwarded, by kind (frames and labels down, subscriptions up).
        let metricsLine = try XCTUnwrap(
            proxy.output.split(separator: "\n").first { $0.contains("proxy running") }, proxy.output)
        let address = try XCTUnwrap(
            metricsLine.split(separator: " ").first { $0.hasPrefix("metrics=") }?.dropFirst("metrics=".count))
        let metrics = try httpGet("http://\(address)/metrics")
        func value(_ series: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
                Double($0.split(separator: " ").last ?? "")
            }
        }
        XCTAssertGreaterThan(value(#"cmc_proxy_messages_total{kind="imu"}"#) ?? 0, 40, metrics)
        XCTAssertGreaterThan(value(#"cmc_proxy_messages_total{kind="skeleton"}"#) ?? 0, 40, metrics)
        XCTAssertGreaterThanOrEqual(value(#"cmc_proxy_messages_total{kind="labels"}"#) ?? 0, 8, metrics)
        XCTAssertGreaterThanOrEqual(
            value(#"cmc_proxy_messages_total{kind="subscriptions"}"#) ?? 0, 3, "each subscriber's topics travel up")
        XCTAssertGreaterThan(value(#"cmc_proxy_bytes_total{kind="imu"}"#) ?? 0, 40 * 64)
        XCTAssertNotNil(value("process_resident_memory_bytes"), metrics)

        recorder.signal(SIGINT)
        XCTAssertEqual(recorder.waitForExit(timeout: 10), 0, recorder.output)
        let (messages, stop) = try RecordReader.readAll(path: recording.path)
        XCTAssertEqual(stop, .clean)
        XCTAssertGreaterThan(messages.filter { $0.channel == .imu }.count, 40)
        XCTAssertGreaterThan(messages.filter { $0.channel == .skeleton }.count, 40)
        XCTAssertGreaterThanOrEqual(messages.filter { $0.channel == .labels }.count, 8)

        for (daemon, notify) in instances {
            daemon.signal(SIGTERM)
            XCTAssertEqual(daemon.waitForExit(timeout: 10), 0, daemon.output)
            XCTAssertEqual(notify.count("STOPPING=1"), 1)
        }
        proxy.signal(SIGTERM)
        XCTAssertEqual(proxy.waitForExit(timeout: 10), 0, proxy.output)
        XCTAssertEqual(proxyNotify.count("STOPPING=1"), 1)
    }
}
