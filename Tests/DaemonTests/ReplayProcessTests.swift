import CMCData
import Foundation
import XCTest

/// `cmc-replay` streaming real UTD-MHAD validation sequences (subject 7) through a running `cmcd`.
final class ReplayProcessTests: XCTestCase {
    /// The dataset root, or a skip when it is not on this machine.
    private func utdRoot() throws -> String {
        let repo = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let root = DataRoot.resolve(explicit: nil, currentDirectory: repo.path) ?? DataRoot.resolve()
        guard let root, let dir = DatasetKind.utdMHAD.resolveDirectory(root: root),
            FileManager.default.fileExists(atPath: dir + "/Inertial/a1_s7_t1_inertial.mat")
        else {
            throw XCTSkip(
                "UTD-MHAD subject 7 not found (set \(DataRoot.environmentVariable) or put it in ../shared/data)")
        }
        return root
    }

    func testValidationSequencesReplayedThroughTheDaemonProduceScoredLabels() throws {
        let root = try utdRoot()
        let cmcd = try Binaries.require("cmcd")
        let replay = try Binaries.require("cmc-replay")
        let dir = try temporaryDirectory(self)
        let model = try TinyBundle.file(in: dir, windowSeconds: 1.5)
        let notify = try NotifySocket()
        let daemon = try ChildProcess(
            cmcd,
            [
                "--model", model.path, "--imu", "bind:tcp://127.0.0.1:*", "--skeleton", "bind:tcp://127.0.0.1:*",
                "--labels", "bind:tcp://127.0.0.1:*", "--no-metrics",
            ],
            environment: ["NOTIFY_SOCKET": notify.path])
        let status = try XCTUnwrap(notify.wait(for: "STATUS=serving", timeout: 30), daemon.output)
        let report = dir.appendingPathComponent("replay.json")
        let client = try ChildProcess(
            replay,
            [
                "--root", root, "--subjects", "7", "--lanes", "2", "--limit", "3", "--gap", "0.5", "--speed", "4",
                "--imu", "connect:" + statusField(status, "imu")!, "--skeleton",
                "connect:" + statusField(status, "skeleton")!,
                "--labels", "connect:" + statusField(status, "labels")!, "--evaluate", "--json", report.path,
            ])
        XCTAssertEqual(client.waitForExit(timeout: 40), 0, client.output)
        XCTAssertTrue(client.output.contains("cmc-replay summary"), client.output)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        XCTAssertEqual(json["streams"] as? Int, 2)
        XCTAssertEqual(json["clips"] as? Int, 6)
        let evaluation = try XCTUnwrap(json["evaluation"] as? [String: Any])
        let labels = try XCTUnwrap(evaluation["labels"] as? Int)
        let scored = try XCTUnwrap(evaluation["scored"] as? Int)
        XCTAssertGreaterThan(labels, 10, client.output)
        XCTAssertGreaterThan(scored, 3, client.output)
        XCTAssertNotNil(evaluation["accuracy"] as? Double)
        let latency = try XCTUnwrap(evaluation["latency_ms"] as? [String: Any])
        XCTAssertGreaterThan(latency["count"] as? Int ?? 0, 0)

        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 10), 0, daemon.output)
        XCTAssertFalse(daemon.output.contains("malformed"), "the replayed frames must all be valid: \(daemon.output)")
    }
}
