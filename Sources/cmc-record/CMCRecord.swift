import ArgumentParser
import CMCCommandLine
import CMCHarness
import CMCDaemon
import CMCCore
import CMCStream
import Logging

@main
struct CMCRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc-record",
        abstract:
            "Record IMU/skeleton frames and/or label events into a .cmcrec file (replay it with cmc-replay --recording).",
        discussion: """
            Without endpoint options it records the labels of a local cmcd (connect:tcp://127.0.0.1:5557).
            Frames are recorded where they can be subscribed to, e.g. the proxy's backend
            (--imu connect:tcp://127.0.0.1:5561 --skeleton connect:tcp://127.0.0.1:5561), or by binding
            an endpoint the sensors also publish to. Stops on SIGINT/SIGTERM, --seconds or --count. Every
            message is written as it arrives (a crash loses at most the one being written); the file is
            fsynced on exit. With CURVE servers (docs/security.md) give --curve-server-key and
            --curve-secret-key; CURVE clients connect only.
            """,
        version: ToolVersion.text)

    @Argument(help: "Output file (.cmcrec).") var output: String
    @Option(help: "IMU frame endpoint to subscribe to (repeatable).") var imu: [Endpoint] = []
    @Option(help: "Skeleton frame endpoint to subscribe to (repeatable).") var skeleton: [Endpoint] = []
    @Option(
        help:
            "Label endpoint to subscribe to (repeatable; default connect:tcp://127.0.0.1:5557 when no endpoint is given)."
    )
    var labels: [Endpoint] = []
    @Option(help: "Stop after this many seconds.") var seconds: Double?
    @Option(help: "Stop after this many messages.") var count: Int?
    @OptionGroup var curve: CurveClientArguments

    func run() throws {
        ProcessSignals.block()
        var config = RecorderConfig(path: output)
        config.imuEndpoints = imu
        config.skeletonEndpoints = skeleton
        config.labelEndpoints = labels
        if imu.isEmpty && skeleton.isEmpty && labels.isEmpty {
            config.labelEndpoints = ReplayTargets.localDaemon.labels
        }
        config.curve = try curve.load()
        CMCLogging.bootstrap()
        let logger = Logger(label: "cmc-record")
        let status = RecordService.run(config: config, seconds: seconds, count: count, logger: logger) { n in
            logger.info("\(n) messages")
        }
        if status != 0 { throw ExitCode(status) }
    }
}
