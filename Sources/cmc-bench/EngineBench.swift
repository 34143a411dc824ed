import ArgumentParser
import CMCTraining
import Foundation

struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "sgemm GFLOP/s, batch-1 encoder latency (1 thread), training throughput (batch 64, 2 threads).")

    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Flag(help: "Fewer iterations (a smoke run).") var quick = false
    @Option(help: "A tools/bench_torch.py JSON result to compare with, side by side.") var compare: String?

    @Option(help: ArgumentHelp("Profiling aid: only run one encoder's batch-1 forward (inertial or skeleton).", visibility: .hidden))
    var profile: String?
    @Option(help: ArgumentHelp("Iterations of --profile.", visibility: .hidden))
    var iterations = 2000

    func run() throws {
        if let p = profile { EngineBenchmark.profile(skeleton: p == "skeleton", iterations: iterations); return }
        let report = EngineBenchmark.run(quick: quick) { print($0) }
        print(report.summary)
        if let compare {
            print(try BenchmarkComparison.table(ours: report, torchJSON: Data(contentsOf: URL(fileURLWithPath: compare))))
        }
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }
}
