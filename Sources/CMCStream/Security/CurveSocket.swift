import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// What a client needs to talk to a CURVE server: the server's public key (obtained out of band) and
/// its own key pair, whose public half must be on the server's allow-list.
public struct CurveClient: Sendable, Equatable {
    public var serverKey: CurvePublicKey
    public var keys: CurveKeyPair

    public init(serverKey: CurvePublicKey, keys: CurveKeyPair) {
        self.serverKey = serverKey
        self.keys = keys
    }
}

/// How one socket takes part in CURVE. In libzmq the server/client role is independent of who binds:
/// a connecting socket may be the server. cmc's rule: a process's sockets are CURVE servers, except
/// sockets that only connect to another CURVE server (a `cmcd` behind `cmc-proxy`), which are clients.
public enum CurveRole: Sendable {
    /// Accepts the clients the context's `ZAPHandler` lists for `domain`.
    case server(secretKey: CurveSecretKey, domain: String)
    case client(CurveClient)
}

extension ZMQSocket {
    /// Switches the socket to CURVE. Must be called before `bind`/`connect`: libzmq applies the
    /// mechanism to connections made afterwards only.
    public func configureCurve(_ role: CurveRole) throws(ZMQError) {
        switch role {
        case .server(let secret, let domain):
            try setOption(ZMQ_CURVE_SERVER, 1, name: "curve_server")
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secret.z85.utf8), name: "curve_secretkey")
            try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8), name: "zap_domain")
        case .client(let client):
            try setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(client.serverKey.z85.utf8), name: "curve_serverkey")
            try setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(client.keys.publicKey.z85.utf8), name: "curve_publickey")
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(client.keys.secretKey.z85.utf8), name: "curve_secretkey")
        }
    }

    /// Applies `client` if given, then attaches to `endpoints`; returns the addresses actually bound or
    /// connected. A CURVE client only connects: binding would make it wait for a server to dial in,
    /// which no cmc server does, so that combination is refused.
    @discardableResult
    public func attach(_ endpoints: [Endpoint], curve client: CurveClient? = nil) throws(ZMQError) -> [String] {
        if let client {
            if endpoints.contains(where: { $0.mode == .bind }) {
                throw ZMQError(
                    code: EINVAL,
                    operation: "CURVE clients connect to their server; bind: endpoints cannot be used with a server key"
                )
            }
            try configureCurve(.client(client))
        }
        var attached: [String] = []
        for endpoint in endpoints {
            switch endpoint.mode {
            case .bind:
                try bind(endpoint.address)
                attached.append(try lastEndpoint())
            case .connect:
                try connect(endpoint.address)
                attached.append(endpoint.address)
            }
        }
        return attached
    }
}
