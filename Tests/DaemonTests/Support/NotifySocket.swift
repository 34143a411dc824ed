import CMCCore
import CMCStream
import Foundation

/// systemd's side of `sd_notify`: an abstract AF_UNIX datagram socket a daemon under test reports to
/// through `NOTIFY_SOCKET=@name`. Collects every datagram on its own thread.
final class NotifySocket: @unchecked Sendable {
    // @unchecked: `fd` is immutable after init; the messages are behind a lock.
    let path: String
    private let fd: Int32
    private let messages = Locked([String]())
    private let closed = Locked(false)
    private let finished = DispatchSemaphore(value: 0)

    init() throws {
        let name = "cmc-test-\(UUID().uuidString.prefix(12))"
        path = "@" + name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = [UInt8(0)] + Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [fd, messages, closed, finished] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !closed.current {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { messages.withLock { $0.append(String(decoding: buffer[0..<n], as: UTF8.self)) } }
            }
            finished.signal()
        }
        thread.start()
    }

    deinit {
        closed.withLock { $0 = true }
        finished.wait()
        close(fd)
    }

    /// Every datagram so far.
    var received: [String] { messages.current }
    /// Every `KEY=value` line so far.
    var assignments: [String] { received.flatMap { $0.split(separator: "\n").map(String.init) } }

    func count(_ assignment: String) -> Int { assignments.filter { $0 == assignment }.count }

    /// The first line starting with `prefix` that arrives within `timeout`.
    func wait(for prefix: String, after skip: Int = 0, timeout: Double) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = assignments.filter({ $0.hasPrefix(prefix) }).dropFirst(skip).first { return line }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }

    /// Waits until `assignment` has been received `count` times.
    func wait(count: Int, of assignment: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if self.count(assignment) >= count { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}

/// `key=value` from a `STATUS=` line such as `… imu=tcp://127.0.0.1:4242 labels=…`.
func statusField(_ status: String, _ key: String) -> String? {
    status.split(whereSeparator: { $0 == " " || $0 == ";" }).first { $0.hasPrefix(key + "=") }.map {
        String($0.dropFirst(key.count + 1))
    }
}
