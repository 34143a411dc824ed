import ArgumentParser
import CMCCommandLine
import CMCDaemon
import CMCCore
import CMCStream
import Logging

@main
struct CMCProxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc-proxy",
        abstract:
            "XSUB/XPUB broker: fans sensor frames in to several cmcd instances and their labels out to every consumer.",
        discussion: """
            Publishers (sensors, cmcd label sockets) connect to the frontend; subscribers (cmcd frame
            sockets, label consumers) connect to the backend. Subscriptions flow upstream, so each
            sensor only sends the subjects some instance serves. See docs/deployment.md.
            """,
        version: ToolVersion.text)

    @Option(help: "XSUB endpoints that publishers connect to (repeatable).") var frontend: [Endpoint] = [
        Endpoint(parsing: ProxyService.defaultFrontend)!
    ]
    @Option(help: "XPUB endpoints that subscribers connect to (repeatable).") var backend: [Endpoint] = [
        Endpoint(parsing: ProxyService.defaultBackend)!
    ]
    @Option(help: "Prometheus /metrics port on --metrics-address (0: any free port, negative: none).") var metricsPort =
        9560
    @Option(help: "Address the metrics endpoint listens on.") var metricsAddress = "127.0.0.1"
    @Option(help: "Log lines as text or json.") var logFormat = LineLogHandler.Format.text
    @Option(help: "Lowest priority logged: debug, info, notice, warning or error.") var logLevel = Logger.Level.info
    @Option(help: "CURVE: the proxy's secret key file (mode 0600); enables CURVE on both sockets.") var curveSecretKey:
        String?
    @Option(help: "CURVE: allow-list file of the publishers (sensors, cmcd label sockets) admitted to the frontend.")
    var curvePublishers: String?
    @Option(
        help: "CURVE: allow-list file of the subscribers (cmcd frame sockets, label consumers) admitted to the backend."
    ) var curveSubscribers: String?

    func run() throws {
        ProcessSignals.block()
        guard !frontend.isEmpty, !backend.isEmpty else {
            throw ValidationError("give at least one --frontend and one --backend")
        }
        CMCLogging.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "cmc-proxy")
        var service = ProxyService(frontend: frontend, backend: backend)
        service.metricsPort = metricsPort
        service.metricsAddress = metricsAddress
        switch (curveSecretKey, curvePublishers, curveSubscribers) {
        case (nil, nil, nil): break
        case (let secret?, let publishers?, let subscribers?):
            do {
                service.curve = try ProxyCurve.load(secretKey: secret, publishers: publishers, subscribers: subscribers)
            } catch {
                logger.error("startup failed: \(error)")
                throw ExitCode(1)
            }
        default:
            throw ValidationError("CURVE needs --curve-secret-key, --curve-publishers and --curve-subscribers together")
        }
        let status = service.run(logger: logger)
        if status != 0 { throw ExitCode(status) }
    }
}
