import Foundation
import XCTest

/// A `cmcd` child process on loopback (ports picked by the kernel) under a fake systemd, with the
/// endpoints it announced in its `STATUS=` line.
struct DaemonUnderTest {
    let process: ChildProcess
    let notify: NotifySocket
    let imu: String, skeleton: String, labels: String, metrics: String
    /// The daemon's CURVE public key, when it runs with CURVE.
    let curveKey: String?

    /// Starts `cmcd --model MODEL` plus `extra` arguments; fails the test if it does not report serving.
    static let loopbackEndpoints = [
        "--imu", "bind:tcp://127.0.0.1:*", "--skeleton", "bind:tcp://127.0.0.1:*", "--labels", "bind:tcp://127.0.0.1:*",
    ]

    static func start(
        model: URL, endpoints: [String] = loopbackEndpoints, extra: [String] = [],
        environment: [String: String] = [:]
    ) throws -> DaemonUnderTest {
        let cmcd = try Binaries.require("cmcd")
        let notify = try NotifySocket()
        let process = try ChildProcess(
            cmcd,
            ["--model", model.path] + endpoints + ["--metrics-port", "0", "--threshold", "0", "--smoothing", "1"]
                + extra,
            environment: environment.merging(["NOTIFY_SOCKET": notify.path]) { $1 })
        guard let status = notify.wait(for: "STATUS=serving", timeout: 30) else {
            XCTFail("cmcd never reported serving:\n\(process.output)")
            throw XCTSkip("cmcd did not start")
        }
        return DaemonUnderTest(
            process: process, notify: notify, imu: try XCTUnwrap(statusField(status, "imu")),
            skeleton: try XCTUnwrap(statusField(status, "skeleton")),
            labels: try XCTUnwrap(statusField(status, "labels")),
            metrics: try XCTUnwrap(statusField(status, "metrics")), curveKey: statusField(status, "curve"))
    }

    func scrape() throws -> String { try httpGet("http://\(metrics)/metrics") }

    /// The value of one Prometheus series (`name{labels}` exactly as rendered), or nil.
    func metric(_ series: String) throws -> Double? {
        try scrape().split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.split(separator: " ").last ?? "")
        }
    }

    /// SIGTERM and a clean exit.
    func stop(file: StaticString = #filePath, line: UInt = #line) {
        process.signal(SIGTERM)
        XCTAssertEqual(process.waitForExit(timeout: 10), 0, process.output, file: file, line: line)
    }
}
