import ArgumentParser
import CMCDaemon
import CMCStream

/// `--curve-server-key` and `--curve-secret-key` of the client tools (`cmc-replay`, `cmc-record`,
/// `cmc-bench soak`): both or neither.
public struct CurveClientArguments: ParsableArguments {
    @Option(help: "CURVE: the server's public key (Z85 text or key file).") public var curveServerKey: String?
    @Option(help: "CURVE: this client's secret key file (mode 0600); its key must be on the server's allow-lists.")
    public var curveSecretKey: String?

    public init() {}

    /// The CURVE client settings, nil for plain text; a validation error naming what is wrong.
    public func load() throws -> CurveClient? {
        do { return try CurveClientOptions.load(serverKey: curveServerKey, secretKeyFile: curveSecretKey) } catch {
            throw ValidationError("\(error)")
        }
    }
}
