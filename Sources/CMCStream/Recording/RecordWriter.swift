import Foundation

/// Appends `RecordedMessage`s to a `.cmcrec` file. Owned by one thread (not `Sendable`).
///
/// Each record goes to the kernel with one `write(2)` as it is appended — no user-space buffer — so a
/// process killed at any moment (even SIGKILL) loses at most the record being written: the page cache
/// keeps what was written, and a torn last record is detected and reported by `RecordReader`.
/// `close()` also fsyncs, which is what protects against power loss. One system call per message is
/// cheap next to receiving it (thousands per second).
public final class RecordWriter {
    private var fd: Int32
    public private(set) var recordsWritten = 0
    public let path: String

    /// Creates (or truncates) `path` and writes the file header.
    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.error("open \(path)") }
        try write(RecordFormat.fileHeader())
    }

    deinit { try? close() }

    public func append(_ message: RecordedMessage) throws {
        try write(RecordFormat.record(message))
        recordsWritten += 1
    }

    private func write(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw Self.error("write \(path): closed") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.error("write \(path)")
            }
            offset += n
        }
    }

    /// Fsyncs and closes. Idempotent.
    public func close() throws {
        guard fd >= 0 else { return }
        defer {
            Glibc.close(fd)
            fd = -1
        }
        if fsync(fd) != 0 { throw Self.error("fsync \(path)") }
    }

    static func error(_ what: String) -> NSError {
        NSError(
            domain: NSPOSIXErrorDomain, code: Int(errno),
            userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }
}
