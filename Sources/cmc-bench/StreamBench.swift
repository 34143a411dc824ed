import ArgumentParser
import CMCCommandLine
import CMCDaemon
import CMCHarness
import Foundation

struct StreamBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Daemon pipeline: end-to-end latency, how many subjects it sustains, stream vs clip accuracy.",
        discussion: """
            Runs cmcd's pipeline in this process (default settings, loopback TCP) against replayed load:
            1 subject for latency (last frame of a window sent → label received, p50/p99); then 25, 50,
            100, 150, 200, … subjects (50 Hz IMU + 30 Hz skeleton, hop 0.5 s) until one fails: zero frames
            dropped, zero windows skipped, p99 < 100 ms; then the validation clips of the model's
            dataset, classified whole and replayed as streams. JSON keys: latency_ms.p50,
            latency_ms.p99, max_subjects, levels, accuracy.
            """)

    @Option(help: "Model bundle.") var model = DaemonConfig.defaultModelPath
    @OptionGroup var inference: InferenceArguments
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(help: "Subject counts to try, in order (comma-separated).") var levels = "25,50,100,150,200,250,300,400,500"
    @Option(help: "Measured seconds per level (after warm-up).") var seconds = 10.0
    @Option(help: "Inference threads.") var workers = DaemonConfig().workers
    @Option(help: "Most windows per batched inference call.") var batch = DaemonConfig().maxBatch
    @Option(help: "Dataset root for the accuracy part.") var root: String?
    @Flag(help: "Skip the accuracy part.") var noAccuracy = false
    @Flag(help: "A short smoke run (3 s per level, levels 5,10).") var quick = false
    @Option(
        help: ArgumentHelp(
            "Write a randomly initialised full-size UTD-MHAD bundle here and benchmark it (throughput only: accuracy is chance).",
            visibility: .hidden))
    var untrained: String?

    func run() throws {
        var options = StreamBenchmark.Options()
        options.modelPath = model
        options.precision = inference.precision
        options.heads = inference.heads
        if let untrained {
            try UntrainedBundle.make().save(to: URL(fileURLWithPath: untrained))
            options.modelPath = untrained
        }
        options.levels = try levels.split(separator: ",").map { text in
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw ValidationError("--levels: positive integers")
            }
            return n
        }
        options.measureSeconds = seconds
        options.workers = workers
        options.maxBatch = batch
        options.dataRoot = root
        options.accuracy = !noAccuracy
        if quick {
            options.levels = [5, 10]
            options.measureSeconds = 3
            options.latencySeconds = 3
            options.accuracySpeed = 8
        }
        let report = try StreamBenchmark.run(options) { print($0) }
        print(report.summary)
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }
}
