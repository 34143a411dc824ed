import ArgumentParser
import CMCCore
import CMCDaemon
import CMCModel

@main
struct CMCTrain: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "cmc-train",
        abstract: "Self-supervised multimodal HAR (CMC-CMKM): pre-train, evaluate, export the model bundle.",
        discussion: """
            A whole experiment runs from one configuration file (configs/utd-mhad.json reproduces the paper's
            UTD-MHAD settings); each stage can also run alone. Runs resume from their output folder.
            """,
        version: ToolVersion.text,
        subcommands: [
            ExperimentCommand.self, SimCLRCommand.self, CMCCommand.self, CMKMCommand.self,
            SupervisedCommand.self, FineTuneCommand.self, SemiSupervisedCommand.self, RetrievalCommand.self,
            StreamHeadCommand.self, EvaluateCommand.self, ExportCommand.self, ModelInfoCommand.self, DataCommand.self,
        ])

    /// Logging is set up before any subcommand runs (swift-log allows one bootstrap per process).
    static func main() {
        CMCLogging.bootstrap()
        main(nil)
    }
}
