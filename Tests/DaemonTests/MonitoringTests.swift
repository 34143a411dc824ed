import CMCDaemon
import CMCHarness
import Foundation
import XCTest

/// The monitoring files in monitoring/ against real tools: promtool checks the alert rules, and a real
/// Prometheus server scrapes a running cmcd and answers queries about it.
final class MonitoringTests: XCTestCase {
    private let rules = Binaries.repository.appendingPathComponent("monitoring/prometheus-rules.yml")

    private func tool(_ name: String) throws -> URL {
        for dir in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return URL(fileURLWithPath: "\(dir)/\(name)")
        }
        throw XCTSkip("\(name) not found: apt-get install prometheus (tools/test.sh installs it)")
    }

    func testAlertRulesPassPromtoolAndTheDashboardParses() throws {
        let check = try ChildProcess(try tool("promtool"), ["check", "rules", rules.path])
        XCTAssertEqual(check.waitForExit(timeout: 30), 0, check.output)
        XCTAssertTrue(check.output.contains("SUCCESS: 7 rules found"), check.output)
        let dashboard = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Binaries.repository.appendingPathComponent("monitoring/grafana-dashboard.json")))
        let panels = try XCTUnwrap((dashboard as? [String: Any])?["panels"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(panels.count, 6)
    }

    func testPrometheusScrapesARunningDaemon() throws {
        let prometheus = try tool("prometheus")
        let cmcd = try Binaries.require("cmcd")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cmc-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try TinyBundle.file(in: dir, name: "model.safetensors")
        let ready = dir.appendingPathComponent("ready.json")
        let daemon = try ChildProcess(
            cmcd,
            [
                "--model", model.path, "--metrics-port", "0", "--imu", "bind:tcp://127.0.0.1:*",
                "--skeleton", "bind:tcp://127.0.0.1:*", "--labels", "bind:tcp://127.0.0.1:*", "--ready-file",
                ready.path,
            ])
        XCTAssertTrue(daemon.waitForOutput("started", timeout: 20), daemon.output)
        let info = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: ready)) as? [String: Any])
        let metrics = try XCTUnwrap(info["metrics"] as? String)
        let endpoints = { (key: String) in ((info[key] as? [String]) ?? [])[0] }

        let port = try Self.freePort()
        let config = dir.appendingPathComponent("prometheus.yml")
        try Data(
            """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            rule_files: ["\(rules.path)"]
            scrape_configs:
              - job_name: cmcd
                static_configs: [{targets: ["\(metrics)"]}]
            """.utf8
        ).write(to: config)
        let server = try ChildProcess(
            prometheus,
            [
                "--config.file=\(config.path)", "--storage.tsdb.path=\(dir.appendingPathComponent("tsdb").path)",
                "--web.listen-address=127.0.0.1:\(port)",
            ])
        defer {
            server.signal(SIGTERM)
            _ = server.waitForExit(timeout: 10)
        }
        let labels = try LiveStreams.run(
            subjects: [1], seconds: 3.2, imu: endpoints("imu"), skeleton: endpoints("skeleton"),
            labels: endpoints("labels"))
        XCTAssertFalse(labels.isEmpty)
        var answer = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            answer = Self.body(
                (try? PrometheusScrape.httpGet(
                    host: "127.0.0.1", port: port, path: "/api/v1/query?query=cmc_labels_published_total")) ?? "")
            if let value = Self.firstValue(answer), value > 0 { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        XCTAssertGreaterThan(
            Self.firstValue(answer) ?? 0, 0, "Prometheus answered: \(answer)\n\(server.output.suffix(2000))")
        let rulesLoaded = (try? PrometheusScrape.httpGet(host: "127.0.0.1", port: port, path: "/api/v1/rules")) ?? ""
        XCTAssertTrue(rulesLoaded.contains("CmcdNoLabels"), rulesLoaded)
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 20), 0)
    }

    private static func body(_ response: String) -> String {
        response.range(of: "\r\n\r\n").map { String(response[$0.upperBound...]) } ?? response
    }

    /// The value of the first sample in a Prometheus instant-query answer.
    private static func firstValue(_ json: String) -> Double? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let result = (object["data"] as? [String: Any])?["result"] as? [[String: Any]],
            let value = result.first?["value"] as? [Any], value.count == 2, let text = value[1] as? String
        else { return nil }
        return Double(text)
    }

    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw XCTSkip("no free loopback port") }
        return UInt16(bigEndian: a.sin_port)
    }
}
