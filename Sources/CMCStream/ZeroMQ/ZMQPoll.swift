import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// `zmq_poll` over sockets owned by the calling thread.
public enum ZMQPoll {
    /// Waits until at least one socket is readable or `timeoutMilliseconds` pass (-1 = forever).
    /// Returns one flag per socket. An interrupted wait (`EINTR`) returns all-false so the caller's
    /// loop re-checks its deadlines; `ETERM` is thrown so an I/O thread can stop.
    public static func readable(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws(ZMQError) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.rawHandle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let rc = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
        if rc < 0 {
            let error = ZMQError.last("poll")
            if error.code == EINTR { return Array(repeating: false, count: sockets.count) }
            throw error
        }
        return items.map { ($0.revents & Int16(ZMQ_POLLIN)) != 0 }
    }
}
