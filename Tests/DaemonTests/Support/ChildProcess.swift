import CMCCore
import CMCStream
import Foundation
import XCTest

/// The built executables, found next to the test bundle (`.build/<config>/`).
enum Binaries {
    static func url(_ name: String) -> URL? {
        var dirs = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        for arg in CommandLine.arguments.prefix(1) {
            dirs.append(URL(fileURLWithPath: arg).deletingLastPathComponent())
        }
        for dir in dirs {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// The repository's root (units, configs, docs), from this source file's place in it.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The executable, or a skip naming what to build.
    static func require(_ name: String) throws -> URL {
        guard let url = url(name) else {
            throw XCTSkip(
                "\(name) is not built next to the tests (\(Bundle.main.bundleURL.path)): run `swift build` (all products) first"
            )
        }
        return url
    }
}

/// A subprocess whose stdout and stderr are collected, for end-to-end tests of the executables.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is configured before `run()` and then only queried (Process is thread-safe
    // for that); the collected output is behind a lock.
    let process = Process()
    private let collected = Locked("")
    private let drained = DispatchSemaphore(value: 0)
    let name: String

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        name = executable.lastPathComponent
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let reader = pipe.fileHandleForReading
        let thread = Thread { [collected, drained] in
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                collected.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            drained.signal()
        }
        thread.start()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var output: String { collected.current }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// The exit status, or nil if still running after `timeout` (then it is killed).
    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        _ = drained.wait(timeout: .now() + 2)
        return process.terminationStatus
    }

    /// Waits until the output contains `text`.
    @discardableResult
    func waitForOutput(_ text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            if !process.isRunning { return output.contains(text) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }
}
