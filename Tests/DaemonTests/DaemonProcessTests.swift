import CMCDaemon
import CMCHarness
import CMCModel
import CMCStream
import CMCTensor
import Foundation
import XCTest

/// The `cmcd` executable end to end, under a fake systemd: a notify socket bound by the test.
final class DaemonProcessTests: XCTestCase {
    private func startDaemon(model: URL, extra: [String] = [], notify: NotifySocket, watchdogUSec: Int = 400_000) throws
        -> (ChildProcess, String)
    {
        let cmcd = try Binaries.require("cmcd")
        let daemon = try ChildProcess(
            cmcd,
            [
                "--model", model.path, "--imu", "bind:tcp://127.0.0.1:*", "--skeleton", "bind:tcp://127.0.0.1:*",
                "--labels", "bind:tcp://127.0.0.1:*", "--metrics-port", "0", "--threshold", "0",
                "--smoothing", "1",
            ] + extra,
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "\(watchdogUSec)"])
        guard let status = notify.wait(for: "STATUS=serving", timeout: 30) else {
            XCTFail("cmcd never reported serving:\n\(daemon.output)")
            throw XCTSkip("cmcd did not start")
        }
        return (daemon, status)
    }

    func testLifecycleUnderSystemd() throws {
        let dir = try temporaryDirectory(self)
        let model = try TinyBundle.file(in: dir)
        let notify = try NotifySocket()
        let (daemon, status) = try startDaemon(model: model, notify: notify)
        XCTAssertGreaterThanOrEqual(notify.count("READY=1"), 1)
        let imu = try XCTUnwrap(statusField(status, "imu"))
        let skeleton = try XCTUnwrap(statusField(status, "skeleton"))
        let labels = try XCTUnwrap(statusField(status, "labels"))
        let metrics = try XCTUnwrap(statusField(status, "metrics"))

        // Watchdog pings every WATCHDOG_USEC / 2 while the pipeline turns.
        XCTAssertTrue(notify.wait(count: 3, of: "WATCHDOG=1", timeout: 5), notify.received.joined(separator: " | "))

        // Frames in, labels out.
        let first = try LiveStreams.run(subjects: [1], seconds: 2.2, imu: imu, skeleton: skeleton, labels: labels)
        XCTAssertGreaterThanOrEqual(first.count, 2, daemon.output)
        XCTAssertTrue(
            first.allSatisfy {
                $0.subject == 1 && $0.modalities == ["imu", "skeleton"] && !$0.label.isEmpty && $0.labelIndex >= 0
            })
        let scrape = try httpGet("http://\(metrics)/metrics")
        XCTAssertTrue(scrape.contains("cmc_labels_published_total"), scrape)
        XCTAssertTrue(scrape.contains("cmc_model_reload_failures_total 0"), scrape)
        XCTAssertTrue(scrape.contains("cmc_build_info{version=\"\(CMCVersion.string)\""), scrape)
        XCTAssertTrue(scrape.contains("cmc_model_info{path=\"\(model.path)\""), scrape)
        let resident = scrape.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        XCTAssertGreaterThan(Double(resident?.split(separator: " ").last ?? "") ?? 0, 1_000_000, scrape)

        // A broken model file on SIGHUP is rejected; the old model keeps serving.
        let good = try Data(contentsOf: model)
        try Data(good.prefix(good.count / 2)).write(to: model)
        daemon.signal(SIGHUP)
        XCTAssertTrue(daemon.waitForOutput("model reload rejected", timeout: 10), daemon.output)
        XCTAssertTrue(daemon.output.contains(model.lastPathComponent))
        let still = try LiveStreams.run(subjects: [2], seconds: 2.2, imu: imu, skeleton: skeleton, labels: labels)
        XCTAssertGreaterThanOrEqual(still.count, 2, daemon.output)
        XCTAssertTrue(still.allSatisfy { !$0.label.hasPrefix("new_") })

        // A good one is swapped in (atomically replaced on disk, as deployments should).
        let staged = try TinyBundle.file(in: dir, name: "staged.safetensors", classPrefix: "new_", seed: 2)
        XCTAssertEqual(rename(staged.path, model.path), 0)
        daemon.signal(SIGHUP)
        XCTAssertTrue(daemon.waitForOutput("model reloaded", timeout: 10), daemon.output)
        let renamed = try LiveStreams.run(subjects: [3], seconds: 2.2, imu: imu, skeleton: skeleton, labels: labels)
        XCTAssertGreaterThanOrEqual(renamed.count, 2, daemon.output)
        XCTAssertTrue(renamed.allSatisfy { $0.label.hasPrefix("new_") }, "\(renamed.map(\.label))")
        let after = try httpGet("http://\(metrics)/metrics")
        XCTAssertTrue(after.contains("cmc_model_reload_failures_total 1"), after)
        XCTAssertTrue(after.contains("cmc_model_last_reload_success 1"), after)
        XCTAssertTrue(after.contains("cmc_model_info{path=\"\(model.path)\",dataset=\"utd-mhad\""), after)

        // SIGTERM: STOPPING=1 and a clean exit.
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 10), 0, daemon.output)
        XCTAssertEqual(notify.count("STOPPING=1"), 1)
        XCTAssertTrue(daemon.output.contains("stopping signal=SIGTERM"), daemon.output)
    }

    func testMissingModelFailsStartupNamingTheFile() throws {
        let cmcd = try Binaries.require("cmcd")
        let notify = try NotifySocket()
        let daemon = try ChildProcess(
            cmcd,
            [
                "--model", "/nonexistent/model.safetensors", "--no-metrics",
                "--imu", "bind:tcp://127.0.0.1:*", "--skeleton", "bind:tcp://127.0.0.1:*", "--labels",
                "bind:tcp://127.0.0.1:*",
            ],
            environment: ["NOTIFY_SOCKET": notify.path])
        XCTAssertEqual(daemon.waitForExit(timeout: 20), 78, "EX_CONFIG: the units do not restart it")
        XCTAssertTrue(daemon.output.contains("/nonexistent/model.safetensors"), daemon.output)
        XCTAssertEqual(notify.count("READY=1"), 0)
    }

    func testConfigurationErrorsAreReportedBeforeStarting() throws {
        let cmcd = try Binaries.require("cmcd")
        let dir = try temporaryDirectory(self)
        let config = dir.appendingPathComponent("cmcd.json")
        try Data(#"{"model": "x.safetensors", "wrokers": 2}"#.utf8).write(to: config)
        let bad = try ChildProcess(cmcd, ["--config", config.path])
        XCTAssertNotEqual(bad.waitForExit(timeout: 20), 0)
        XCTAssertTrue(bad.output.contains("wrokers"), bad.output)

        let printed = try ChildProcess(cmcd, ["--print-config", "--subjects", "1-4", "--hop", "0.25"])
        XCTAssertEqual(printed.waitForExit(timeout: 20), 0)
        XCTAssertTrue(printed.output.contains("\"subjects\" : \"1-4\""), printed.output)
        XCTAssertTrue(printed.output.contains("bind:tcp://127.0.0.1:5555"), printed.output)
    }
}

/// A minimal HTTP/1.0 GET over loopback (the metrics endpoint closes the connection after replying).
func httpGet(_ url: String) throws -> String {
    guard let u = URL(string: url), let host = u.host, let port = u.port, let p = UInt16(exactly: port) else {
        throw URLError(.badURL)
    }
    return try PrometheusScrape.httpGet(host: host, port: p, path: u.path)
}

/// Configuration errors end cmcd with the statuses its units list in `RestartPreventExitStatus=`, so
/// systemd does not restart it in a loop.
final class DaemonExitStatusTests: XCTestCase {
    func testConfigurationErrorsExitWithStatusesThatPreventARestartLoop() throws {
        let cmcd = try Binaries.require("cmcd")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cmcd-exit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = try ChildProcess(
            cmcd,
            [
                "--model", dir.appendingPathComponent("none.safetensors").path, "--no-metrics",
                "--imu", "bind:tcp://127.0.0.1:*", "--skeleton", "bind:tcp://127.0.0.1:*",
                "--labels", "bind:tcp://127.0.0.1:*",
            ])
        XCTAssertEqual(missing.waitForExit(timeout: 20), 78, missing.output)
        XCTAssertTrue(missing.output.contains("none.safetensors"), missing.output)

        let config = dir.appendingPathComponent("bad.json")
        try Data(#"{"hop_seconds": -1}"#.utf8).write(to: config)
        let invalid = try ChildProcess(cmcd, ["--config", config.path])
        XCTAssertEqual(invalid.waitForExit(timeout: 20), 64, invalid.output)
        XCTAssertTrue(invalid.output.contains("hop_seconds"), invalid.output)

        for unit in ["cmcd.service", "cmcd@.service"] {
            let text = try String(
                contentsOf: Binaries.repository.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
            XCTAssertTrue(text.contains("RestartPreventExitStatus=64 78"), unit)
        }
    }

    func testTheReadyFileSaysWhereTheDaemonServesAndGoesAwayOnStop() throws {
        let cmcd = try Binaries.require("cmcd")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cmcd-ready-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try TinyBundle.file(in: dir, name: "model.safetensors")
        let ready = dir.appendingPathComponent("cmcd.ready")
        let daemon = try ChildProcess(
            cmcd,
            [
                "--model", model.path, "--no-metrics", "--imu", "bind:tcp://127.0.0.1:*",
                "--skeleton", "bind:tcp://127.0.0.1:*", "--labels", "bind:tcp://127.0.0.1:*", "--ready-file",
                ready.path,
            ])
        XCTAssertTrue(daemon.waitForOutput("started", timeout: 20), daemon.output)
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: ready.path), "written before the daemon says it started serving")
        let info = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: ready)) as? [String: Any])
        let labels = try XCTUnwrap((info["labels"] as? [String])?.first)
        XCTAssertTrue(
            labels.hasPrefix("tcp://127.0.0.1:") && !labels.hasSuffix(":*"),
            "the bound port, not the wildcard: \(labels)")
        XCTAssertEqual(info["pid"] as? Int, Int(daemon.process.processIdentifier))
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 20), 0, daemon.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: ready.path))
    }

    /// The units mount /proc with `ProcSubset=pid`, which hides /proc/cpuinfo: the daemon must still find the
    /// CPU's AVX-512 VNNI (it reads CPUID) and serve int8, not refuse it. The same /proc, in a mount namespace.
    func testInt8IsServedWhereTheUnitsHideProcCPUInfo() throws {
        guard CPUFeatures.avx512VNNI else { throw XCTSkip("this CPU has no AVX512-VNNI: int8 is refused anyway") }
        let unshare = URL(fileURLWithPath: "/usr/bin/unshare")
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: unshare.path) else {
            throw XCTSkip("mounting a /proc with subset=pid needs root and unshare(1)")
        }
        let cmcd = try Binaries.require("cmcd")
        let dir = try temporaryDirectory(self)
        let model = try TinyBundle.file(in: dir, name: "model.safetensors")
        let script =
            "mount -t proc -o subset=pid proc /proc && test ! -e /proc/cpuinfo && echo cpuinfo hidden"
            + " && exec \"$0\" \"$@\""
        let daemon = try ChildProcess(
            unshare,
            [
                "--mount", "--pid", "--fork", "--kill-child", "/bin/sh", "-c", script, cmcd.path, "--model", model.path,
                "--no-metrics", "--inference-precision", "int8", "--imu", "bind:tcp://127.0.0.1:*",
                "--skeleton", "bind:tcp://127.0.0.1:*", "--labels", "bind:tcp://127.0.0.1:*",
            ])
        guard daemon.waitForOutput("cpuinfo hidden", timeout: 10) else {
            throw XCTSkip("this machine cannot mount a pid-only /proc in a namespace: \(daemon.output)")
        }
        XCTAssertTrue(daemon.waitForOutput("started", timeout: 30), daemon.output)
        XCTAssertTrue(daemon.output.contains("precision=int8"), daemon.output)
        daemon.signal(SIGKILL) // unshare passes no SIGTERM on; --kill-child takes cmcd with it
        _ = daemon.waitForExit(timeout: 10)
    }

    func testEveryExecutableTellsItsVersion() throws {
        for name in ["cmcd", "cmc-replay", "cmc-record", "cmc-proxy", "cmc-bench", "cmc-train"] {
            let process = try ChildProcess(try Binaries.require(name), ["--version"])
            XCTAssertEqual(process.waitForExit(timeout: 20), 0, name)
            XCTAssertTrue(
                process.output.contains("cmc \(CMCVersion.string) (commit ")
                    && process.output.contains("model bundle format \(BundleMetadata.currentVersion)"),
                "\(name): \(process.output)")
            // The commit of this checkout (the BuildInfo plugin), when git can tell it.
            let git = Process()
            git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            git.arguments = ["git", "-C", Binaries.repository.path, "rev-parse", "--short=12", "HEAD"]
            let out = Pipe()
            git.standardOutput = out
            git.standardError = FileHandle.nullDevice
            if (try? git.run()) != nil {
                git.waitUntilExit()
                let head = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if git.terminationStatus == 0 && !head.isEmpty {
                    XCTAssertTrue(
                        process.output.contains("commit \(head)"), "\(name) names HEAD \(head): \(process.output)")
                }
            }
        }
    }
}
