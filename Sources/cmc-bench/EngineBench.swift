import ArgumentParser
import CMCTraining
import Foundation

struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "sgemm GFLOP/s, batch-1 encoder latency (1 thread), training throughput (batch 64, 2 threads).")

    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Flag(help: "Fewer iterations (a smoke run).") var quick = false

    @Option(help: ArgumentHelp("Profiling aid: only run the batch-1 skeleton forward this many times.", visibility: .hidden))
    var profileSkeleton: Int?

    func run() throws {
        if let n = profileSkeleton { EngineBenchmark.profileSkeleton(iterations: n); return }
        let report = EngineBenchmark.run(quick: quick) { print($0) }
        print(report.summary)
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }
}
