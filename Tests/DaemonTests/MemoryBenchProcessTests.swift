import Foundation
import XCTest

/// `cmc-bench memory` against the real `cmcd` binary: it must find the daemon's endpoints in its log,
/// stream to it and read its memory. (Its start-line parser once waited for a field order the log
/// handler no longer writes, and the soak with it; nothing in the suite ran either.)
final class MemoryBenchProcessTests: XCTestCase {
    func testMemoryBenchMeasuresARunningDaemon() throws {
        let cmcd = try Binaries.require("cmcd")
        let bench = try Binaries.require("cmc-bench")
        let dir = try temporaryDirectory(self)
        let model = try TinyBundle.file(in: dir, windowSeconds: 1.5)
        let report = dir.appendingPathComponent("memory.json")
        let run = try ChildProcess(
            bench,
            [
                "memory", "--model", model.path, "--cmcd", cmcd.path, "--seconds", "3", "--crowd", "2",
                "--work-dir", dir.path, "--json", report.path,
            ])
        XCTAssertEqual(run.waitForExit(timeout: 90), 0, run.output)
        XCTAssertTrue(run.output.contains("per further subject"), run.output)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let idle = try XCTUnwrap(json["rss_mb_idle"] as? Double)
        let one = try XCTUnwrap(json["rss_mb_one_subject"] as? Double)
        let crowd = try XCTUnwrap(json["rss_mb_crowd"] as? Double)
        let peak = try XCTUnwrap(json["peak_rss_mb"] as? Double)
        // A Swift process with a model loaded holds megabytes, not bytes or gigabytes.
        XCTAssertTrue((5...2048).contains(idle), "\(json)")
        XCTAssertGreaterThanOrEqual(peak, max(one, crowd), "VmHWM bounds every sample")
        XCTAssertGreaterThan(try XCTUnwrap(json["labels_one_subject"] as? Int), 0, "the subject was served")
        XCTAssertGreaterThan(try XCTUnwrap(json["labels_crowd"] as? Int), 0, "the crowd was served")
        XCTAssertEqual(json["crowd"] as? Int, 2)
    }
}
