import ArgumentParser
import CMCTraining
import Foundation

extension EngineBenchmark.ProfileTarget: ExpressibleByArgument {}

struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract:
            "sgemm GFLOP/s, batch-1 encoder latency (1 thread), training throughput (2 cores): CMC and CMC-CMKM (batch 64), SimCLR inertial (128) and skeleton (32)."
    )

    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Flag(help: "Fewer iterations (a smoke run).") var quick = false
    @Option(
        help: "tools/bench_torch.py JSON results to compare with, side by side (repeatable: e.g. torch 1.13 and 2.x).")
    var compare: [String] = []

    @Option(
        help: ArgumentHelp(
            "Profiling aid: only run one part (inertial, skeleton: batch-1 forward; train, train-cmkm, train-simclr-inertial, train-simclr-skeleton: training steps).",
            visibility: .hidden))
    var profile: EngineBenchmark.ProfileTarget?
    @Option(help: ArgumentHelp("Iterations of --profile.", visibility: .hidden))
    var iterations = 2000
    @Flag(
        help: ArgumentHelp(
            "Only time the matrix products of the training steps, on each GEMM backend and 1 and 2 threads.",
            visibility: .hidden))
    var gemmShapes = false

    func run() throws {
        if gemmShapes {
            GEMMShapeBenchmark.run { print($0) }
            return
        }
        if let p = profile {
            EngineBenchmark.profile(p, iterations: iterations)
            return
        }
        let report = EngineBenchmark.run(quick: quick) { print($0) }
        print(report.summary)
        if !compare.isEmpty {
            let torch = try compare.map {
                try BenchmarkComparison.Torch(json: Data(contentsOf: URL(fileURLWithPath: $0)), source: $0)
            }
            print(BenchmarkComparison.table(ours: report, torch: torch))
        }
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }
}
