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
            """)

    @Option(help: "XSUB endpoints that publishers connect to (repeatable).") var frontend: [String] = [ProxyService.defaultFrontend]
    @Option(help: "XPUB endpoints that subscribers connect to (repeatable).") var backend: [String] = [ProxyService.defaultBackend]
    @Option(help: "Log lines as text or json.") var logFormat = "text"

    func run() throws {
        ProcessSignals.block()
        let f = frontend.compactMap(Endpoint.init(parsing:)), b = backend.compactMap(Endpoint.init(parsing:))
        guard f.count == frontend.count, b.count == backend.count, !f.isEmpty, !b.isEmpty else {
            throw ValidationError("endpoints must be bind:ADDRESS or connect:ADDRESS")
        }
        guard let format = DaemonLog.Format(rawValue: logFormat) else { throw ValidationError("--log-format: text or json") }
        let status = ProxyService(frontend: f, backend: b).run(logger: DaemonLog.logger(format: format, minimum: .info))
        if status != 0 { throw ExitCode(status) }
    }
}
