import ArgumentParser
import CMCDaemon
import CMCHarness
import Foundation

struct MemoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Resident memory of a real cmcd with a model loaded: serving nobody, one subject, a crowd.",
        discussion: """
            Starts the cmcd next to this executable (--cmcd) on loopback with --model, measures its VmRSS
            idle, then while one synthetic subject streams in real time for --seconds, then while --crowd
            subjects do; each figure is the largest RSS over the second half of its phase. Also prints the
            cost of each further subject and the peak (VmHWM). Run it on an otherwise idle machine.
            """)

    @Option(help: "Model bundle cmcd serves.") var model = DaemonConfig.defaultModelPath
    @Option(help: "Seconds of streaming per phase.") var seconds = 20.0
    @Option(help: "Subjects in the crowd phase.") var crowd = 16
    @Option(help: "cmcd inference threads.") var workers = 2
    @Option(help: "The cmcd executable (default: next to cmc-bench).") var cmcd: String?
    @Option(help: "Work directory: cmcd's config and log.") var workDir = "runs/memory"
    @Option(help: "Write the report as JSON to this file.") var json: String?

    func validate() throws {
        guard seconds >= 2 else { throw ValidationError("--seconds: at least 2") }
        guard crowd >= 2 else { throw ValidationError("--crowd: at least 2") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: model) else { throw ValidationError("\(model) not found") }
        var options = MemoryBenchmark.Options(
            modelPath: model, cmcd: try DaemonExecutable.resolve(cmcd), workDirectory: workDir)
        options.seconds = seconds
        options.crowd = crowd
        options.workers = workers
        let report = try MemoryBenchmark.run(options) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        print(report.summary)
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }
}
