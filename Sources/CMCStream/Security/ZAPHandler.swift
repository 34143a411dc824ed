import CMCCore
import Foundation

/// The ZeroMQ authentication handler (ZAP, RFC 27) of one context: a thread owning a `REP` socket bound
/// to `inproc://zeromq.zap.01`, which libzmq asks — for every CURVE handshake on a socket of that
/// context that has a `ZMQ_ZAP_DOMAIN` — whether the client's public key may connect.
///
/// Each domain has its own allow-list (`cmcd`: `frames` for sensors, `labels` for consumers), so a
/// consumer's key cannot publish frames and a sensor's key cannot read labels. Anything not listed,
/// and any mechanism but CURVE, is refused with status 400; the observer sees every decision (metrics,
/// rate-limited logs).
///
/// Start it **before** any CURVE server socket of the context binds or connects: libzmq accepts every
/// client when no handler is bound (`ZMQ_ZAP_ENFORCE_DOMAIN` is a draft option Debian's build lacks).
public final class ZAPHandler: Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    /// One authentication request and its outcome.
    public struct Decision: Sendable, Equatable {
        public var domain: String
        /// The peer's IP address, as libzmq reports it.
        public var address: String
        public var mechanism: String
        /// The client's public key (CURVE only).
        public var key: CurvePublicKey?
        /// The allow-list name of an accepted client (the ZAP user id).
        public var user: String?
        public var accepted: Bool { user != nil }
    }

    private let lists: Locked<[String: CurveAllowList]>
    private let stopRequested = Locked(false)
    private let finished = DispatchSemaphore(value: 0)
    private let running = Locked(false)
    /// Why the handler stopped answering without being asked to; nil while it serves. Once set,
    /// libzmq would let every CURVE client in (no handler, no check): owners must fail closed.
    private let failureReason = Locked<String?>(nil)
    /// Test hook: makes the handler's loop fail as if its socket had broken.
    private let faultInjected = Locked(false)

    /// Binds the handler in `context` and starts answering; returns once it is bound.
    /// - Parameter observer: called on the handler's thread after each decision; keep it short.
    public init(
        context: ZMQContext, allowLists: [String: CurveAllowList], observer: (@Sendable (Decision) -> Void)? = nil
    ) throws {
        lists = Locked(allowLists)
        let setup = Locked<(any Error)?>(nil)
        let bound = DispatchSemaphore(value: 0)
        let thread = Thread { [lists, stopRequested, finished, failureReason, faultInjected] in
            defer { finished.signal() }
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .rep)
                try socket.bind(ZAPHandler.endpoint)
            } catch {
                setup.withLock { $0 = error }
                bound.signal()
                return
            }
            defer { socket.close() }
            bound.signal()
            do {
                while !stopRequested.current {
                    if faultInjected.current { throw ZMQError(code: EFAULT, operation: "ZAP handler (injected fault)") }
                    guard try ZMQPoll.readable([socket], timeoutMilliseconds: 100)[0],
                        let request = try socket.receive(dontWait: true)
                    else { continue }
                    let (reply, decision) = ZAPHandler.answer(request, lists: lists.current)
                    try socket.send(reply)
                    if let decision { observer?(decision) }
                }
            } catch {
                // ETERM: the context is going away, and with it every socket this handler vouched for.
                // Anything else, while still wanted, leaves CURVE sockets with nobody checking keys.
                if !stopRequested.current { failureReason.withLock { $0 = "\(error)" } }
            }
        }
        thread.name = "cmc-zap"
        thread.start()
        bound.wait()
        if let error = setup.current {
            finished.wait()
            throw error
        }
        running.withLock { $0 = true }
    }

    deinit { stop() }

    /// Why the handler stopped answering on its own (nil while it serves).
    public var failure: String? { failureReason.current }

    /// Fault injection for tests: the handler's loop fails at its next turn.
    func injectFault() { faultInjected.withLock { $0 = true } }

    /// Replaces a domain's allow-list (e.g. re-read on SIGHUP). Applies to handshakes from now on;
    /// clients already connected stay connected.
    public func replace(domain: String, with list: CurveAllowList) { lists.withLock { $0[domain] = list } }

    public func allowList(domain: String) -> CurveAllowList? { lists.current[domain] }

    /// Stops answering and closes the socket. Idempotent. Close the CURVE sockets first: a handshake
    /// arriving afterwards gets no answer and fails.
    public func stop() {
        let wasRunning = running.withLock { r in
            defer { r = false }
            return r
        }
        guard wasRunning else { return }
        stopRequested.withLock { $0 = true }
        finished.wait()
    }

    /// The reply to one ZAP request (RFC 27 §"Request"/"Reply") and the decision it carries (nil for
    /// a request that is not ZAP 1.0).
    static func answer(_ request: [[UInt8]], lists: [String: CurveAllowList]) -> (reply: [[UInt8]], decision: Decision?)
    {
        func reply(_ id: [UInt8], _ code: String, _ text: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), id, Array(code.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        let id = request.count > 1 ? request[1] : []
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            return (reply(id, "500", "not a ZAP 1.0 request"), nil)
        }
        let text = { (i: Int) in String(decoding: request[i], as: UTF8.self) }
        var decision = Decision(domain: text(2), address: text(3), mechanism: text(5), key: nil, user: nil)
        guard decision.mechanism == "CURVE" else {
            return (reply(id, "400", "only CURVE clients are accepted"), decision)
        }
        guard request.count >= 7, let key = CurvePublicKey(bytes: request[6]) else {
            return (reply(id, "500", "CURVE request without a 32-byte public key"), decision)
        }
        decision.key = key
        guard let name = lists[decision.domain]?.name(of: key) else {
            return (reply(id, "400", "client key not allowed"), decision)
        }
        decision.user = name
        return (reply(id, "200", "OK", user: name), decision)
    }
}
