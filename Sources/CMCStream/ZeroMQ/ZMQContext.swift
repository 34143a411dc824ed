import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// A libzmq context: the one ZeroMQ object that is thread-safe, so it is `Sendable` and shared by the
/// threads that each own their sockets. `inproc://` endpoints only connect sockets of the same context.
///
/// `shutdown()` makes every blocking call on its sockets fail with `ETERM`, which is how I/O threads are
/// told to stop; `deinit` terminates the context, which waits until every socket is closed (sockets keep
/// their context alive, and always set `ZMQ_LINGER`, so this cannot hang on unsent messages).
public final class ZMQContext: @unchecked Sendable {
    // @unchecked: the raw handle is only passed to libzmq's context API, which is thread-safe.
    let handle: UnsafeMutableRawPointer

    public init(ioThreads: Int32 = 1) throws {
        guard let h = zmq_ctx_new() else { throw ZMQError.last("ctx_new") }
        handle = h
        if zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("ctx_set io_threads")
            zmq_ctx_term(h)
            throw error
        }
    }

    /// Wakes every thread blocked in this context with `ETERM`; sockets must still be closed by their owners.
    public func shutdown() { zmq_ctx_shutdown(handle) }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
