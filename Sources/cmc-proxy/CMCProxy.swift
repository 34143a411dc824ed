import ArgumentParser
import CMCDaemon
import CMCStream

@main
struct CMCProxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc-proxy",
        abstract: "XSUB/XPUB broker: fans sensor frames in to several cmcd instances and their labels out to every consumer.",
        discussion: """
            Publishers (sensors, cmcd label sockets) connect to the frontend; subscribers (cmcd frame
            sockets, label consumers) connect to the backend. Subscriptions flow upstream, so each
            sensor only sends the subjects some instance serves. See docs/deployment.md.
            """,
        version: ToolVersion.text)

    @Option(help: "XSUB endpoints that publishers connect to (repeatable).") var frontend: [String] = [ProxyService.defaultFrontend]
    @Option(help: "XPUB endpoints that subscribers connect to (repeatable).") var backend: [String] = [ProxyService.defaultBackend]
    @Option(help: "Log lines as text or json.") var logFormat = "text"
    @Option(help: "CURVE: the proxy's secret key file (mode 0600); enables CURVE on both sockets.") var curveSecretKey: String?
    @Option(help: "CURVE: allow-list file of the publishers (sensors, cmcd label sockets) admitted to the frontend.") var curvePublishers: String?
    @Option(help: "CURVE: allow-list file of the subscribers (cmcd frame sockets, label consumers) admitted to the backend.") var curveSubscribers: String?

    func run() throws {
        ProcessSignals.block()
        let f = frontend.compactMap(Endpoint.init(parsing:)), b = backend.compactMap(Endpoint.init(parsing:))
        guard f.count == frontend.count, b.count == backend.count, !f.isEmpty, !b.isEmpty else {
            throw ValidationError("endpoints must be bind:ADDRESS or connect:ADDRESS")
        }
        guard let format = DaemonLog.Format(rawValue: logFormat) else { throw ValidationError("--log-format: text or json") }
        let logger = DaemonLog.logger(format: format, minimum: .info)
        var service = ProxyService(frontend: f, backend: b)
        switch (curveSecretKey, curvePublishers, curveSubscribers) {
        case (nil, nil, nil): break
        case let (secret?, publishers?, subscribers?):
            do { service.curve = try ProxyCurve.load(secretKey: secret, publishers: publishers, subscribers: subscribers) } catch {
                logger.log(.error, "startup failed: \(error)")
                throw ExitCode(1)
            }
        default: throw ValidationError("CURVE needs --curve-secret-key, --curve-publishers and --curve-subscribers together")
        }
        let status = service.run(logger: logger)
        if status != 0 { throw ExitCode(status) }
    }
}
