import ArgumentParser
import CMCDaemon

@main
struct CMCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc-bench",
        abstract: "Benchmarks of the cmc engine and daemon (release builds; medians and tails).",
        version: ToolVersion.text,
        subcommands: [EngineBench.self, StreamBench.self, SoakBench.self])
}
