import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// The ZeroMQ socket patterns cmc uses.
public enum ZMQSocketType: Sendable {
    case pub, sub, xpub, xsub, pair, push, pull, rep

    var raw: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .pair: ZMQ_PAIR
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .rep: ZMQ_REP
        }
    }
}

/// A ZeroMQ socket, owned by exactly one thread.
///
/// libzmq sockets are not thread-safe, so this class is deliberately **not** `Sendable`: Swift 6 refuses
/// to capture it in a closure that runs on another thread. Create it on the thread that uses it. Other
/// threads reach that thread through an `inproc://` socket of their own or through a queue.
///
/// `ZMQ_LINGER` is set on creation (default 0) so closing never blocks and `zmq_ctx_term` cannot hang.
/// The socket is closed by `close()` or, at the latest, by `deinit`.
public final class ZMQSocket {
    private var handle: UnsafeMutableRawPointer?
    /// Keeps the context alive until this socket is closed (`zmq_ctx_term` waits for open sockets).
    public let context: ZMQContext
    public let type: ZMQSocketType

    public init(context: ZMQContext, type: ZMQSocketType, lingerMilliseconds: Int32 = 0) throws {
        guard let h = zmq_socket(context.handle, type.raw) else { throw ZMQError.last("socket") }
        self.handle = h
        self.context = context
        self.type = type
        try setOption(ZMQ_LINGER, lingerMilliseconds, name: "linger")
    }

    deinit { close() }

    /// Closes the socket now; later calls fail with `ENOTSOCK`. Idempotent.
    public func close() {
        if let h = handle { zmq_close(h) }
        handle = nil
    }

    private func live(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let h = handle else { throw ZMQError(code: ENOTSOCK, operation: operation) }
        return h
    }

    // MARK: Options

    public func setOption(_ option: Int32, _ value: Int32, name: String) throws(ZMQError) {
        var v = value
        if zmq_setsockopt(try live(name), option, &v, MemoryLayout<Int32>.size) != 0 {
            throw ZMQError.last("setsockopt \(name)=\(value)")
        }
    }

    public func setOption(_ option: Int32, bytes: [UInt8], name: String) throws(ZMQError) {
        let h = try live(name)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(h, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("setsockopt \(name)") }
    }

    /// The largest inbound message part this socket accepts (`ZMQ_MAXMSGSIZE`): libzmq disconnects a
    /// peer that announces a larger one before allocating it, so a hostile sender cannot make the
    /// process hold hundreds of megabytes only for the decoder to refuse them afterwards.
    public func limitInboundMessages(toBytes bytes: Int) throws(ZMQError) {
        var v = Int64(bytes)
        if zmq_setsockopt(try live("maxmsgsize"), ZMQ_MAXMSGSIZE, &v, MemoryLayout<Int64>.size) != 0 {
            throw ZMQError.last("setsockopt maxmsgsize=\(bytes)")
        }
    }

    /// Queue limits. A PUB over its send HWM drops silently; a SUB's receive HWM should hold a few
    /// seconds of frames so bursts are absorbed (loss upstream shows as sequence-number gaps).
    public func setHighWaterMarks(send: Int32? = nil, receive: Int32? = nil) throws(ZMQError) {
        if let send { try setOption(ZMQ_SNDHWM, send, name: "sndhwm") }
        if let receive { try setOption(ZMQ_RCVHWM, receive, name: "rcvhwm") }
    }

    /// Subscribes a SUB socket to every message whose first frame starts with `prefix` ("" = all).
    public func subscribe(_ prefix: String) throws(ZMQError) {
        try setOption(ZMQ_SUBSCRIBE, bytes: Array(prefix.utf8), name: "subscribe \(prefix)")
    }

    public func unsubscribe(_ prefix: String) throws(ZMQError) {
        try setOption(ZMQ_UNSUBSCRIBE, bytes: Array(prefix.utf8), name: "unsubscribe \(prefix)")
    }

    /// XPUB: stop applying subscriptions; the application reads each one and decides what to apply
    /// (`applySubscription`) to the subscriber that sent it (`ZMQ_XPUB_MANUAL`).
    public func manageSubscriptions() throws(ZMQError) {
        try setOption(ZMQ_XPUB_MANUAL, 1, name: "xpub_manual")
    }

    /// XPUB in manual mode: (un)subscribes the subscriber whose subscription was received last to
    /// messages whose first frame starts with `prefix`.
    public func applySubscription(_ prefix: [UInt8], subscribe: Bool) throws(ZMQError) {
        let option = subscribe ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE
        try setOption(option, bytes: prefix, name: subscribe ? "subscribe" : "unsubscribe")
    }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(ZMQError) {
        if zmq_bind(try live("bind"), endpoint) != 0 { throw ZMQError.last("bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(try live("connect"), endpoint) != 0 { throw ZMQError.last("connect \(endpoint)") }
    }

    /// The endpoint actually bound last, e.g. `tcp://127.0.0.1:41234` after binding `tcp://127.0.0.1:*`.
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        if zmq_getsockopt(try live("last_endpoint"), ZMQ_LAST_ENDPOINT, &buffer, &size) != 0 {
            throw ZMQError.last("getsockopt last_endpoint")
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Messages

    /// Sends a multipart message. Returns false when it would block (`dontWait`, or a send timeout);
    /// `EINTR` is retried. A PUB never blocks: above its HWM it drops the message and returns true.
    @discardableResult
    public func send(_ parts: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        let h = try live("send")
        precondition(!parts.isEmpty, "a ZeroMQ message has at least one part")
        for (index, part) in parts.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < parts.count - 1 { flags |= ZMQ_SNDMORE }
            while true {
                let rc = part.withUnsafeBytes { zmq_send(h, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                let error = ZMQError.last("send")
                if error.code == EINTR { continue }
                // Parts after the first are queued atomically by libzmq once the first succeeded.
                if error.isWouldBlock && index == 0 { return false }
                throw error
            }
        }
        return true
    }

    /// Receives one whole multipart message, or nil when none is ready (`dontWait`, or a receive timeout).
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        try receiveWithSender(dontWait: dontWait)?.parts
    }

    /// A whole multipart message and where it came from.
    public func receiveWithSender(dontWait: Bool = false)
        throws(ZMQError) -> (parts: [[UInt8]], origin: MessageOrigin)?
    {
        let h = try live("recv")
        var parts: [[UInt8]] = []
        var origin = MessageOrigin()
        while true {
            var message = ZMQMessage()
            // Only the first part may be "not ready": later parts of a multipart message arrive with it.
            let flags: Int32 = (dontWait && parts.isEmpty) ? ZMQ_DONTWAIT : 0
            guard try message.receive(from: h, flags: flags) else { return nil }
            if parts.isEmpty { origin = MessageOrigin(user: message.userID, peerAddress: message.peerAddress) }
            parts.append(message.bytes)
            if !message.hasMore { return (parts, origin) }
        }
    }

    /// The raw handle, for `zmq_poll` only.
    var rawHandle: UnsafeMutableRawPointer? { handle }
}

/// Where a received message came from, as libzmq knows it.
public struct MessageOrigin: Sendable, Equatable {
    /// The ZAP user id the sender authenticated as (its allow-list name); nil without CURVE.
    public var user: String?
    /// The peer's IP address on a TCP connection; nil on `ipc://` and `inproc://`.
    public var peerAddress: String?

    public init(user: String? = nil, peerAddress: String? = nil) {
        self.user = user
        self.peerAddress = peerAddress
    }
}
