import CMCCore
import Foundation

/// `sd_notify` in pure Swift: one `AF_UNIX`/`SOCK_DGRAM` datagram to `$NOTIFY_SOCKET` per state change.
///
/// libsystemd's variadic calls cannot be used from Swift, and the protocol is a single `sendto`: a
/// leading `@` in the path names an abstract socket (`sun_path[0] = 0`, no trailing NUL).
public struct SystemdNotifier: Sendable {
    public let socketPath: String
    /// `$WATCHDOG_USEC` when it applies to this process: ping at least every half of it.
    public let watchdogInterval: Double?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`; nil when not started by systemd with
    /// `Type=notify`.
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        socketPath = path
        let pidMatches = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if pidMatches, let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            watchdogInterval = usec / 1e6
        } else {
            watchdogInterval = nil
        }
    }

    public init(socketPath: String, watchdogInterval: Double? = nil) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    public func ready(status: String? = nil) { send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    public func watchdog() { send(["WATCHDOG=1"]) }
    public func stopping() { send(["STOPPING=1"]) }
    public func status(_ text: String) { send(["STATUS=\(text)"]) }

    /// For `Type=notify-reload`: announce a reload in progress; call `ready()` when it is done.
    public func reloading() {
        send(["RELOADING=1", "MONOTONIC_USEC=\(MonotonicClock.now() / 1000)"])
    }

    /// Sends newline-separated `KEY=value` assignments. Failures are ignored, as `sd_notify` callers do:
    /// a missing supervisor must not stop the daemon. Returns whether the datagram was sent.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            if !abstract { raw[path.count] = 0 }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
        let message = Array(assignments.joined(separator: "\n").utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        return sent == message.count
    }
}
