import Foundation
import XCTest

/// `tools/package-deb.sh`: the package installs with dpkg, holds what the units expect, depends on Debian
/// libraries only, and its binaries run — and serve a short replay — with the Swift toolchain hidden.
final class PackageTests: XCTestCase {
    func testTheDebInstallsAndRunsWithoutTheSwiftToolchain() throws {
        for tool in ["dpkg", "dpkg-deb", "unshare", "mount", "swift"] where which(tool) == nil {
            throw XCTSkip("\(tool) is not on PATH")
        }
        let dir = try temporaryDirectory(self)
        // Two executables keep the (static) build short; tools/install.sh installs all six the same way.
        let build = try run(
            "/bin/bash", [Binaries.repository.appendingPathComponent("tools/package-deb.sh").path, dir.path],
            environment: ["CMC_INSTALL_PRODUCTS": "cmcd cmc-replay"], timeout: 1200)
        XCTAssertEqual(build.status, 0, build.output)
        let deb = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".deb") })
        let debPath = dir.appendingPathComponent(deb).path

        let info = try run("/usr/bin/dpkg-deb", ["-I", debPath]).output
        let depends = try XCTUnwrap(info.split(separator: "\n").first { $0.contains("Depends:") }.map(String.init))
        XCTAssertTrue(
            depends.contains("libzmq5") && depends.contains("libopenblas0") && depends.contains("zlib1g"), depends)
        XCTAssertFalse(depends.lowercased().contains("swift"), depends)

        // Installed by dpkg into a fresh root: an empty package database, maintainer scripts run outside a
        // chroot (the root has no shell); its dependencies live on the host, so they are not checked there.
        let root = dir.appendingPathComponent("root")
        for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(d), withIntermediateDirectories: true)
        }
        _ = FileManager.default.createFile(
            atPath: root.appendingPathComponent("var/lib/dpkg/status").path, contents: nil)
        let install = try run(
            "/usr/bin/dpkg",
            ["--root=\(root.path)", "--force-depends", "--force-script-chrootless", "--force-not-root", "-i", debPath])
        XCTAssertEqual(install.status, 0, install.output)
        let status = try run("/usr/bin/dpkg", ["--root=\(root.path)", "-s", "cmc"]).output
        XCTAssertTrue(status.contains("Status: install ok installed") && status.contains("/etc/cmc/cmcd.json"), status)
        let unit = try String(
            contentsOf: root.appendingPathComponent("usr/lib/systemd/system/cmcd.service"), encoding: .utf8)
        XCTAssertTrue(
            unit.contains("ExecStart=/usr/bin/cmcd --config /etc/cmc/cmcd.json"),
            "units point at the installed binaries")
        // Documentation= names what the package installs: each file: path and man: page.
        let documentation = unit.split(separator: "\n").filter { $0.hasPrefix("Documentation=") }
            .flatMap { $0.dropFirst("Documentation=".count).split(separator: " ") }
        XCTAssertFalse(documentation.isEmpty)
        for reference in documentation {
            let path =
                reference.hasPrefix("file:")
                ? String(reference.dropFirst(5))
                : "/usr/share/man/man1/" + reference.dropFirst(4).replacingOccurrences(of: "(1)", with: ".1.gz")
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: root.path + path),
                "Documentation=\(reference): \(path) not installed")
        }
        // Drop-ins are examples to copy, never active: curve.conf would need a key the package cannot ship.
        XCTAssertFalse(
            FileManager.default.fileExists(
                atPath: root.appendingPathComponent("usr/lib/systemd/system/cmcd.service.d").path))
        for example in ["curve.conf", "lan.conf"] {
            let path = root.appendingPathComponent("usr/share/doc/cmc/systemd/cmcd.service.d/\(example)").path
            XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
        }
        let config = try String(contentsOf: root.appendingPathComponent("etc/cmc/cmcd.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("/usr/share/cmc/models/utd-mhad-cmkm.safetensors"), config)
        let completion = try String(
            contentsOf: root.appendingPathComponent("usr/share/bash-completion/completions/cmcd"), encoding: .utf8)
        XCTAssertTrue(
            completion.contains("--model") && completion.contains("complete"), "bash completion of cmcd's options")
        let man = try run("/bin/sh", ["-c", "gzip -dc '\(root.path)/usr/share/man/man1/cmcd.1.gz'"]).output
        XCTAssertTrue(
            man.contains(".TH \"CMCD\" 1") && man.contains("\\-\\-model"),
            "man page from the parser: \(man.prefix(200))")
        let control = dir.appendingPathComponent("control")
        XCTAssertEqual(try run("/usr/bin/dpkg-deb", ["-e", debPath, control.path]).status, 0)
        XCTAssertTrue(
            try String(contentsOf: control.appendingPathComponent("conffiles"), encoding: .utf8).contains(
                "/etc/cmc/cmcd.json"))

        // No library of the installed binaries resolves into the Swift toolchain …
        for tool in ["cmcd", "cmc-replay"] {
            let libraries = try run("/usr/bin/ldd", [root.appendingPathComponent("usr/bin/\(tool)").path]).output
            XCTAssertFalse(libraries.contains("swift") || libraries.contains("not found"), libraries)
        }
        // … and they run with it hidden by an empty tmpfs in a private mount namespace (root only; without
        // that privilege the run below still proves they work from the package's own files).
        let swift = try XCTUnwrap(which("swift")).resolvingSymlinksInPath()
        let toolchain = swift.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let bin = root.appendingPathComponent("usr/bin").path
        let share = root.appendingPathComponent("usr/share/cmc").path
        let ports = (0..<3).map { _ in Int.random(in: 30000...60000) }
        let ready = dir.appendingPathComponent("ready").path
        let report = dir.appendingPathComponent("replay.json").path
        // Only a toolchain of its own (…/usr/lib/swift under a prefix that is not the system's) can be hidden.
        let ownPrefix =
            !["/", "/usr", "/usr/local"].contains(toolchain)
            && FileManager.default.fileExists(atPath: toolchain + "/usr/lib/swift")
        let isolate =
            try ownPrefix
            && run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", "mount -t tmpfs none '\(toolchain)'"]).status == 0
        let script = """
            set -e
            \(isolate ? "mount -t tmpfs none '\(toolchain)'" : "")
            if \(isolate ? "true" : "false") && [ -e '\(swift.path)' ]; then echo "toolchain still visible"; exit 3; fi
            '\(bin)/cmcd' --version
            '\(bin)/cmcd' --model '\(share)/models/utd-mhad-cmkm.safetensors' --imu bind:tcp://127.0.0.1:\(ports[0]) \\
              --skeleton bind:tcp://127.0.0.1:\(ports[1]) --labels bind:tcp://127.0.0.1:\(ports[2]) --metrics-port 0 \\
              --ready-file '\(ready)' & pid=$!
            for i in $(seq 100); do [ -e '\(ready)' ] && break; sleep 0.1; done
            '\(bin)/cmc-replay' --demo '\(share)/demo/utd-mhad-subject7.safetensors' --limit 3 --speed 4 --evaluate --quiet \\
              --imu connect:tcp://127.0.0.1:\(ports[0]) --skeleton connect:tcp://127.0.0.1:\(ports[1]) \\
              --labels connect:tcp://127.0.0.1:\(ports[2]) --model '\(share)/models/utd-mhad-cmkm.safetensors' --json '\(report)'
            kill $pid; wait $pid
            """
        let isolated =
            try isolate
            ? run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script], timeout: 120)
            : run("/bin/sh", ["-c", script], timeout: 120)
        XCTAssertEqual(isolated.status, 0, isolated.output)
        XCTAssertTrue(isolated.output.contains("cmc 0.1"), isolated.output)
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        let stream = try XCTUnwrap(
            json?["stream"] as? [String: Any], "the replay through the packaged daemon was scored")
        XCTAssertEqual(stream["clips"] as? Int, 3)
        XCTAssertGreaterThan(try XCTUnwrap(json?["labels_received"] as? Int), 5)
    }

    private func which(_ tool: String) -> URL? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(tool) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    private func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        timeout: Double = 60
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cmc-package-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(at: log)
        }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
