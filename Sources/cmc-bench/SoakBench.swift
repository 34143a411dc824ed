import ArgumentParser
import CMCDaemon
import CMCHarness
import CMCStream
import Foundation

struct SoakBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Sustained run of a real cmcd under many subjects and every kind of trouble; memory must not grow.",
        discussion: """
            Starts the cmcd next to this executable (--cmcd) from a config in --work-dir, then streams
            --subjects simulated subjects at --speed times real time for --minutes, while sensors drop
            out and reconnect, clocks jump, frames arrive reordered and duplicated, a publisher floods
            (with malformed messages), the model is reloaded by SIGHUP (good, truncated, good again), and
            attackers send messages beyond cmcd's size limit, invent thousands of subject ids, and hold
            idle and slowloris connections to /metrics while it is scraped (each attack: its option, 0 = off).
            Reports frames sent, processed and dropped (by reason, from cmcd's metrics), windows inferred,
            label latency percentiles and cmcd's RSS at start and end. tools/soak.sh wraps this.
            """)

    @Option(help: "Minutes to run.") var minutes = 10.0
    @Flag(help: "A 60-second run.") var quick = false
    @Option(help: "Simulated subjects.") var subjects = 32
    @Option(help: "Sensor data per wall-clock second (4 = four times real time).") var speed = 4.0
    @Option(help: "cmcd's clock mode: aligned or shared.") var clock = "aligned"
    @Option(help: "Model bundle (copied into the work directory; default: the trained UTD-MHAD model).") var model =
        DaemonConfig.defaultModelPath
    @Flag(help: "Soak a randomly initialised full-size UTD-MHAD bundle instead (throughput only).") var untrained =
        false
    @Option(help: "The cmcd executable (default: next to cmc-bench).") var cmcd: String?
    @Option(help: "Work directory: config, model copy, keys, cmcd.log.") var workDir = "runs/soak/work"
    @Option(help: "cmcd inference threads.") var workers = 2
    @Option(help: "Flood rate during bursts (frames/s).") var floodRate = 2000.0
    @Option(help: "Seconds between oversized messages (0: none).") var oversizeEvery = 5.0
    @Option(help: "Invented subject ids per second during the squatters' bursts (0: none).") var squatRate = 2000.0
    @Option(help: "Idle connections held open to /metrics (0: none).") var idleConnections = 500
    @Option(help: "Slowloris clients on /metrics (0: none).") var slowloris = 8
    @Flag(help: "CURVE on every socket (keys generated in the work directory).") var curve = false
    @Option(help: "Random seed of the trouble schedule.") var seed: UInt64 = 1
    @Option(help: "Write the report as JSON to this file.") var json: String?

    func run() throws {
        guard let clockMode = ClockMode(rawValue: clock) else { throw ValidationError("--clock: aligned or shared") }
        let executable = try DaemonExecutable.resolve(cmcd)
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        var modelPath = model
        if untrained {
            modelPath = workDir + "/untrained.safetensors"
            try UntrainedBundle.make().save(to: URL(fileURLWithPath: modelPath))
        } else if !FileManager.default.fileExists(atPath: model) {
            throw ValidationError("\(model) not found: give --model PATH, or --untrained")
        }
        var options = SoakOptions(modelPath: modelPath, cmcd: executable, workDirectory: workDir)
        options.seconds = quick ? 60 : minutes * 60
        options.subjects = subjects
        options.speed = speed
        options.clock = clockMode
        options.workers = workers
        options.floodRate = floodRate
        options.oversizeEverySeconds = oversizeEvery
        options.squatRate = squatRate
        options.idleConnections = idleConnections
        options.slowlorisClients = slowloris
        options.curve = curve
        options.seed = seed
        // Unbuffered, so progress shows live through a pipe.
        let report = try SoakRunner.run(options) { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
        print(report.summary)
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
        if !report.passed { throw ExitCode(1) }
    }
}
