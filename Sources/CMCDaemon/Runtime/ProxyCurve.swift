import CMCStream

/// CURVE for `cmc-proxy`: it is the server on both sides, authenticating publishers (sensors and the
/// label sockets of `cmcd` instances) on the frontend and subscribers (the instances' frame sockets
/// and label consumers) on the backend, each against its own allow-list.
public struct ProxyCurve: Sendable {
    public static let publishersDomain = "publishers"
    public static let subscribersDomain = "subscribers"

    public var keys: CurveKeyPair
    public var publishers: CurveAllowList
    public var subscribers: CurveAllowList

    public init(keys: CurveKeyPair, publishers: CurveAllowList, subscribers: CurveAllowList) {
        self.keys = keys
        self.publishers = publishers
        self.subscribers = subscribers
    }

    /// Reads the key files (secret key by path, mode 0600; allow-lists); throws naming the file.
    public static func load(secretKey: String, publishers: String, subscribers: String) throws -> ProxyCurve {
        ProxyCurve(keys: try CurveKeyFiles.readSecret(path: secretKey), publishers: try CurveAllowList.read(path: publishers),
                   subscribers: try CurveAllowList.read(path: subscribers))
    }

    func startZAP(context: ZMQContext, logger: StreamLogger) throws -> ZAPHandler {
        logger.log(.info, "CURVE on " + DaemonLog.fields([
            "public_key": keys.publicKey.z85, "publishers": "\(publishers.source) (\(publishers.count) keys)",
            "subscribers": "\(subscribers.source) (\(subscribers.count) keys)"]))
        return try ZAPHandler(context: context, allowLists: [Self.publishersDomain: publishers, Self.subscribersDomain: subscribers]) { d in
            guard !d.accepted else { return }
            logger.rateLimited("curve.refused.\(d.domain)", .warning, "CURVE client refused (not on the allow-list): "
                               + DaemonLog.fields(["domain": d.domain, "address": d.address, "key": d.key?.z85 ?? "none", "mechanism": d.mechanism]))
        }
    }
}
