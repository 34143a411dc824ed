import CMCStream

/// `--curve-server-key` and `--curve-secret-key` of the client tools (`cmc-replay`, `cmc-record`, the
/// soak bench): both or neither.
public enum CurveClientOptions {
    public struct Incomplete: Error, CustomStringConvertible {
        public var description: String {
            "CURVE needs both --curve-server-key (the server's public key) and --curve-secret-key (this client's key file)"
        }
    }

    /// - Parameters:
    ///   - serverKey: the server's public key, as Z85 text or a key file.
    ///   - secretKeyFile: this client's secret key file (mode 0600); its public key is derived from it.
    ///     A path, never the key itself: command lines are visible to every user in `ps`.
    public static func load(serverKey: String?, secretKeyFile: String?) throws -> CurveClient? {
        switch (serverKey, secretKeyFile) {
        case (nil, nil): return nil
        case (let server?, let secret?):
            return CurveClient(
                serverKey: try CurveKeyFiles.readPublic(server), keys: try CurveKeyFiles.readSecret(path: secret))
        default: throw Incomplete()
        }
    }
}
