import CMCCore
import Logging
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
        ProxyCurve(
            keys: try CurveKeyFiles.readSecret(path: secretKey), publishers: try CurveAllowList.read(path: publishers),
            subscribers: try CurveAllowList.read(path: subscribers))
    }

    func startZAP(context: ZMQContext, logger: Logger) throws -> ZAPHandler {
        let logLimits = LogRateLimits()
        logger.info(
            "CURVE on",
            metadata: .fields([
                "public_key": keys.publicKey.z85, "publishers": "\(publishers.source) (\(publishers.count) keys)",
                "subscribers": "\(subscribers.source) (\(subscribers.count) keys)",
            ]))
        return try ZAPHandler(
            context: context, allowLists: [Self.publishersDomain: publishers, Self.subscribersDomain: subscribers]
        ) { d in
            guard !d.accepted else { return }
            let fields: Logger.Metadata = .fields([
                "domain": d.domain, "address": d.address, "key": d.key?.z85 ?? "none", "mechanism": d.mechanism,
            ])
            logger.rateLimited(
                "curve.refused.\(d.domain)", .warning, in: logLimits,
                "CURVE client refused (not on the allow-list)", metadata: fields)
        }
    }
}
