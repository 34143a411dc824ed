import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// The `cmcd` under soak: a child process whose stderr is copied to a log file and scanned for events
/// (start-up endpoints, reload outcomes), with its memory and CPU time read from /proc.
final class SoakDaemon: @unchecked Sendable {
    // @unchecked: `process` is configured before `run()` and then only queried and signalled; the
    // collected lines are behind a lock.
    private let process = Process()
    private let lines = Locked([String]())
    private let drained = DispatchSemaphore(value: 0)

    struct Endpoints: Sendable { var imu: String, skeleton: String, labels: String, metricsPort: UInt16 }

    init(executable: URL, arguments: [String], logPath: String) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        let reader = pipe.fileHandleForReading
        let thread = Thread { [lines, drained] in
            var pending = ""
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                log.write(data)
                pending += String(decoding: data, as: UTF8.self)
                var complete = pending.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                pending = complete.removeLast()
                // Bounded: cmcd rate-limits what peers can trigger, but a soak must not grow either.
                lines.withLock {
                    $0 += complete
                    if $0.count > 50_000 { $0.removeFirst($0.count - 50_000) }
                }
            }
            try? log.close()
            drained.signal()
        }
        thread.name = "soak-cmcd-log"
        thread.start()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var log: [String] { lines.current }

    func count(_ text: String) -> Int { lines.current.filter { $0.contains(text) }.count }

    /// Waits until `text` has appeared more than `seen` times; returns the newest such line.
    func waitFor(_ text: String, moreThan seen: Int = 0, timeout: Double) -> String? {
        waitFor(moreThan: seen, timeout: timeout) { $0.contains(text) }
    }

    /// Waits until more than `seen` lines match; returns the newest such line.
    func waitFor(moreThan seen: Int = 0, timeout: Double, matching: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let matches = lines.current.filter(matching)
            if matches.count > seen { return matches.last }
            if !process.isRunning { return nil }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    /// The endpoints from cmcd's `started … imu=… labels=… metrics=… skeleton=…` line (its fields come in
    /// key order, so the line is found by its message and its `imu=` field, not by a fixed prefix).
    func endpoints(timeout: Double) throws -> Endpoints {
        guard let line = waitFor(timeout: timeout, matching: { $0.contains(" started ") && $0.contains(" imu=") })
        else {
            throw SoakError("cmcd did not start: " + lines.current.suffix(5).joined(separator: " | "))
        }
        func field(_ key: String) -> String? {
            line.split(separator: " ").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        guard let imu = field("imu"), let skeleton = field("skeleton"), let labels = field("labels"),
            let metrics = field("metrics"), let port = metrics.split(separator: ":").last.flatMap({ UInt16($0) })
        else {
            throw SoakError("cannot parse cmcd's start line: \(line)")
        }
        return Endpoints(imu: imu, skeleton: skeleton, labels: labels, metricsPort: port)
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// SIGTERM, then the exit status (nil if it had to be killed after `timeout`).
    func stop(timeout: Double) -> Int32? {
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        _ = drained.wait(timeout: .now() + 2)
        return process.terminationStatus
    }

    /// Resident set size in KiB (`VmRSS` of /proc/PID/status).
    func residentKiB() -> Int? { status("VmRSS:") }
    /// Peak resident set size in KiB (`VmHWM`).
    func peakResidentKiB() -> Int? { status("VmHWM:") }

    /// User + system CPU seconds so far (/proc/PID/stat fields 14 and 15).
    func cpuSeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ") // fields from 3 (state) on
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private func status(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(key) }.flatMap {
            Int($0.split(separator: " ").dropFirst().first ?? "")
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct SoakError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
