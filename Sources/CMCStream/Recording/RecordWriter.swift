import Foundation

/// Appends `RecordedMessage`s to a `.cmcrec` file. Owned by one thread (not `Sendable`).
///
/// Records are buffered and written whole; `flush()` pushes them to the kernel (the recorder calls it
/// every second and on shutdown), `close()` also fsyncs. A crash can only lose or tear the tail, which
/// `RecordReader` detects and reports.
public final class RecordWriter {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 16
    public private(set) var recordsWritten = 0
    public let path: String

    /// Creates (or truncates) `path` and writes the file header.
    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.error("open \(path)") }
        buffer = RecordFormat.fileHeader()
        try flush()
    }

    deinit { try? close() }

    public func append(_ message: RecordedMessage) throws {
        buffer += RecordFormat.record(message)
        recordsWritten += 1
        if buffer.count >= flushThreshold { try flush() }
    }

    public func flush() throws {
        guard fd >= 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.error("write \(path)")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, fsyncs and closes. Idempotent.
    public func close() throws {
        guard fd >= 0 else { return }
        defer { Glibc.close(fd); fd = -1 }
        try flush()
        if fsync(fd) != 0 { throw Self.error("fsync \(path)") }
    }

    static func error(_ what: String) -> NSError {
        NSError(domain: NSPOSIXErrorDomain, code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }
}
