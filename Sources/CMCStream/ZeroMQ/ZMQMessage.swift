import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// One ZeroMQ message part, owned through a heap pointer.
///
/// `zmq_msg_t` imports as a copyable 64-byte struct, but copying one is undefined behaviour (messages of
/// up to 33 bytes live inside it). Keeping it behind a pointer in a non-copyable type makes a copy
/// impossible and guarantees `zmq_msg_close` runs exactly once.
struct ZMQMessage: ~Copyable {
    private let pointer: UnsafeMutablePointer<zmq_msg_t>

    init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer) // cannot fail for an empty message
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// Receives one part from `socket` into this message. Returns false on `EAGAIN`; retries `EINTR`.
    mutating func receive(from socket: UnsafeMutableRawPointer, flags: Int32) throws(ZMQError) -> Bool {
        while true {
            if zmq_msg_recv(pointer, socket, flags) >= 0 { return true }
            let error = ZMQError.last("recv")
            if error.code == EINTR { continue }
            if error.isWouldBlock { return false }
            throw error
        }
    }

    /// A copy of the message's bytes (the message itself stays owned by this value).
    var bytes: [UInt8] {
        let count = zmq_msg_size(pointer)
        guard count > 0, let data = zmq_msg_data(pointer) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: count))
    }

    /// The ZAP user id libzmq attached to the message (the name the authentication handler gave the
    /// sender's key); nil without authentication.
    var userID: String? { property("User-Id") }

    /// The IP address of the TCP peer the message came from; nil on other transports.
    var peerAddress: String? { property("Peer-Address") }

    private func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(pointer, name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// True when more parts of the same multipart message follow.
    var hasMore: Bool { zmq_msg_more(pointer) != 0 }
}
