import ArgumentParser
import CMCCore
import CMCDaemon

@main
struct CMCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc-bench",
        abstract: "Benchmarks of the cmc engine and daemon (release builds; medians and tails).",
        version: ToolVersion.text,
        subcommands: [EngineBench.self, StreamBench.self, SoakBench.self, MemoryBench.self])

    /// Logging is set up before any subcommand runs (swift-log allows one bootstrap per process).
    static func main() {
        CMCLogging.bootstrap()
        main(nil)
    }
}
