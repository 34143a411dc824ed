import CZeroMQ
#if canImport(Glibc)
    import Glibc
#endif

/// A failed libzmq call: the errno it set and libzmq's own description of it.
public struct ZMQError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The errno value (`zmq_errno()`), e.g. `EAGAIN`, `EINVAL`, or libzmq's own `ETERM`.
    public let code: Int32
    /// What was being attempted ("bind tcp://127.0.0.1:5555").
    public let operation: String
    /// `zmq_strerror(code)`.
    public let message: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
        self.message = String(cString: zmq_strerror(code))
    }

    /// Captures the calling thread's current `zmq_errno()`.
    static func last(_ operation: String) -> ZMQError { ZMQError(code: zmq_errno(), operation: operation) }

    /// libzmq's `ETERM` (`ZMQ_HAUSNUMERO + 53`): the context was shut down. An I/O thread that sees it
    /// should close its sockets and return; it is the clean stop signal, not a failure.
    public static let contextTerminated: Int32 = 156_384_712 + 53

    public var isTerminated: Bool { code == Self.contextTerminated }
    /// "Nothing yet" from `ZMQ_DONTWAIT` or a send/receive timeout.
    public var isWouldBlock: Bool { code == EAGAIN }

    public var description: String { "zmq \(operation): \(message) (errno \(code))" }
}
