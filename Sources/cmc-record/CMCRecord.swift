import ArgumentParser
import CMCDaemon
import CMCStream

@main
struct CMCRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc-record",
        abstract: "Record IMU/skeleton frames and/or label events into a .cmcrec file (replay it with cmc-replay --recording).",
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
    @Option(help: "IMU frame endpoint to subscribe to (repeatable).") var imu: [String] = []
    @Option(help: "Skeleton frame endpoint to subscribe to (repeatable).") var skeleton: [String] = []
    @Option(help: "Label endpoint to subscribe to (repeatable).") var labels: [String] = []
    @Option(help: "Stop after this many seconds.") var seconds: Double?
    @Option(help: "Stop after this many messages.") var count: Int?
    @Option(help: "CURVE: the server's public key (Z85 text or key file).") var curveServerKey: String?
    @Option(help: "CURVE: this client's secret key file (mode 0600).") var curveSecretKey: String?

    func run() throws {
        ProcessSignals.block()
        func parse(_ list: [String], _ name: String) throws -> [Endpoint] {
            try list.map { text in
                guard let e = Endpoint(parsing: text) else { throw ValidationError("--\(name) \(text): expected bind:ADDRESS or connect:ADDRESS") }
                return e
            }
        }
        var config = RecorderConfig(path: output)
        config.imuEndpoints = try parse(imu, "imu")
        config.skeletonEndpoints = try parse(skeleton, "skeleton")
        config.labelEndpoints = try parse(labels, "labels")
        if imu.isEmpty && skeleton.isEmpty && labels.isEmpty { config.labelEndpoints = [.connect("tcp://127.0.0.1:5557")] }
        do { config.curve = try CurveClientOptions.load(serverKey: curveServerKey, secretKeyFile: curveSecretKey) } catch {
            throw ValidationError("\(error)")
        }
        let logger = DaemonLog.logger(format: .text, minimum: .info)
        let status = RecordService.run(config: config, seconds: seconds, count: count, logger: logger) { n in logger.log(.info, "\(n) messages") }
        if status != 0 { throw ExitCode(status) }
    }
}
