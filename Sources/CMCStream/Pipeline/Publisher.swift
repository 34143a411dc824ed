/// Who sent a frame: the unit of fair shares. A window's inference time is charged to the sender of
/// the frame that made it due (`WorkQueue`), a subject's slot to the sender of its latest frame
/// (`SlotShares`).
///
/// The identity must be one a flooding sender cannot multiply cheaply, or fair shares mean nothing:
/// - with CURVE, the ZAP user id (the allow-list name of its key): a new identity needs the operator
///   to list a new key;
/// - without CURVE, the TCP peer's IP address: a sender gets one share per address it controls;
/// - neither (`ipc://`, `inproc://`, or a socket connected to a proxy): one shared share, `local`.
/// Not the subject id (the flood of issue 10 invented 3,000 of them for free), and not the ZeroMQ
/// connection (SUB sockets do not expose it, and a sender opens as many as it likes).
public struct Publisher: Hashable, Sendable, CustomStringConvertible {
    public let name: String

    public init(_ origin: MessageOrigin) {
        if let user = origin.user {
            name = "key:" + user
        } else if let address = origin.peerAddress {
            name = "address:" + address
        } else {
            name = "local"
        }
    }

    /// Everything that reaches the daemon without a key or an address (and the harness's own frames).
    public static let local = Publisher(MessageOrigin())

    public var description: String { name }
}
