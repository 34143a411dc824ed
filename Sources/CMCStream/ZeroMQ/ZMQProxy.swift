import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// libzmq's built-in forwarder between two sockets of the calling thread.
///
/// With an XSUB frontend and an XPUB backend it is the classic pub/sub broker: publishers connect to
/// the frontend, subscribers to the backend, and subscriptions flow back upstream, so a publisher only
/// sends the topics somebody asked for. `zmq_proxy` blocks in libzmq until the context is shut down
/// (`ZMQContext.shutdown()`), which is how it is stopped.
public enum ZMQProxy {
    /// Runs until the context is shut down (returns normally) or a socket fails (throws). With `capture`,
    /// libzmq also sends every message part it forwards, either way, to that socket (for counting; make
    /// it a PUB so a slow reader loses copies instead of stalling the proxy).
    public static func run(frontend: ZMQSocket, backend: ZMQSocket, capture: ZMQSocket? = nil) throws(ZMQError) {
        guard let f = frontend.rawHandle, let b = backend.rawHandle else {
            throw ZMQError(code: ENOTSOCK, operation: "proxy")
        }
        let c = capture?.rawHandle
        while true {
            if zmq_proxy(f, b, c) == 0 { return }
            let error = ZMQError.last("proxy")
            if error.isTerminated { return }
            if error.code == EINTR { continue }
            throw error
        }
    }
}
