import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// Watches one socket's ZMTP handshakes through `zmq_socket_monitor`, so refused peers are counted
/// even when they never reach the ZAP handler: a plain-text client talking to a CURVE socket fails on
/// the mechanism mismatch before authentication, and would otherwise go unnoticed.
///
/// Owned by the thread that owns the watched socket (the monitor is a `PAIR` socket it must poll).
final class HandshakeMonitor {
    enum Outcome: String, CaseIterable, Sendable {
        case succeeded
        /// ZMTP or mechanism error, e.g. a plain-text peer on a CURVE socket.
        case failedProtocol = "failed_protocol"
        /// The ZAP handler refused the client (unlisted key).
        case failedAuth = "failed_auth"
        case failedOther = "failed_other"

        var explanation: String {
            switch self {
            case .succeeded: "succeeded"
            case .failedProtocol: "protocol or mechanism mismatch (e.g. a plain-text peer on a CURVE socket)"
            case .failedAuth: "authentication refused (key not on the allow-list)"
            case .failedOther: "the peer hung up during the handshake (e.g. a plain-text peer, or a wrong server key)"
            }
        }
    }

    let socket: ZMQSocket

    /// Starts monitoring `watched` on `endpoint` (an `inproc://` name unique in the context).
    init(watching watched: ZMQSocket, endpoint: String) throws {
        let events =
            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        guard zmq_socket_monitor(watched.rawHandle, endpoint, events) == 0 else {
            throw ZMQError.last("socket_monitor \(endpoint)")
        }
        socket = try ZMQSocket(context: watched.context, type: .pair)
        try socket.connect(endpoint)
    }

    /// Every event queued since the last call.
    func drain() throws -> [Outcome] {
        var outcomes: [Outcome] = []
        while let parts = try socket.receive(dontWait: true) {
            guard let first = parts.first, first.count >= 2 else { continue }
            let event = Int32(first[0]) | Int32(first[1]) << 8 // u16, host order (little-endian here)
            switch event {
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: outcomes.append(.succeeded)
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: outcomes.append(.failedProtocol)
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: outcomes.append(.failedAuth)
            default: outcomes.append(.failedOther)
            }
        }
        return outcomes
    }

    func close() { socket.close() }
}
