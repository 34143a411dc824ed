/// CURVE for the pipeline's network sockets: who may publish frames to it and who may read its labels.
///
/// The frame sockets authenticate clients in the ZAP domain `frames` against `sensors`, the label
/// socket in the domain `labels` against `consumers`: a key is granted exactly the role it is listed
/// for. `inproc://` endpoints bypass ZeroMQ's security mechanisms altogether (same process).
public struct PipelineCurve: Sendable, Equatable {
    public static let framesDomain = "frames"
    public static let labelsDomain = "labels"

    public var keys: CurveKeyPair
    /// Client keys allowed to publish IMU and skeleton frames.
    public var sensors: CurveAllowList
    /// Client keys allowed to subscribe to label events.
    public var consumers: CurveAllowList
    /// When set, a socket whose endpoints all connect is a CURVE *client* of the server with this key
    /// (the daemon behind a `cmc-proxy` that is itself a CURVE server); otherwise every socket is a server.
    public var upstreamServerKey: CurvePublicKey?

    public init(
        keys: CurveKeyPair, sensors: CurveAllowList, consumers: CurveAllowList, upstreamServerKey: CurvePublicKey? = nil
    ) {
        self.keys = keys
        self.sensors = sensors
        self.consumers = consumers
        self.upstreamServerKey = upstreamServerKey
    }

    /// The role of a socket attached to `endpoints` and authenticating its clients in `domain`.
    public func role(for endpoints: [Endpoint], domain: String) -> CurveRole {
        if let upstreamServerKey, !endpoints.isEmpty, endpoints.allSatisfy({ $0.mode == .connect }) {
            return .client(CurveClient(serverKey: upstreamServerKey, keys: keys))
        }
        return .server(secretKey: keys.secretKey, domain: domain)
    }

    var allowLists: [String: CurveAllowList] { [Self.framesDomain: sensors, Self.labelsDomain: consumers] }
}
