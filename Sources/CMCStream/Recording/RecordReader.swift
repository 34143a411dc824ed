import CMCCore
import Foundation

/// Reads a `.cmcrec` file record by record, in bounded memory.
///
/// Reading stops at the first record that is incomplete (a torn tail after a crash) or fails its
/// checksum; every record before it is returned, and `stop` says where and why, so a damaged
/// recording is never silently truncated nor silently trusted.
public final class RecordReader {
    public enum Stop: Sendable, Equatable {
        /// The file ended exactly after a record.
        case clean
        /// Bytes from `offset` on were not a valid record and were discarded.
        case damaged(offset: Int, discardedBytes: Int, reason: String)
    }

    private let handle: FileHandle
    private let fileSize: Int
    private var buffer: [UInt8] = []
    private var bufferStart = 0 // file offset of buffer[0]
    private var offset: Int // file offset of the next record
    public private(set) var stop: Stop?
    public private(set) var recordsRead = 0

    public init(path: String) throws {
        handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        fileSize = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        let header = try handle.read(upToCount: RecordFormat.fileHeaderSize).map(Array.init) ?? []
        guard header.count == RecordFormat.fileHeaderSize, Array(header.prefix(8)) == RecordFormat.magic else {
            throw WireError("file.magic", .badMagic)
        }
        var r = ByteReader(header)
        _ = try r.raw(8, "file.magic")
        let version = try r.u32("file.version")
        if version != RecordFormat.version {
            throw WireError("file.version", .unsupportedVersion(UInt8(clamping: version)))
        }
        offset = RecordFormat.fileHeaderSize
        bufferStart = offset
    }

    deinit { try? handle.close() }

    /// The next record, or nil at the end (check `stop`).
    public func next() throws -> RecordedMessage? {
        if stop != nil { return nil }
        guard fileSize - offset >= 8 else { return finish(fileSize == offset ? nil : "incomplete record header") }
        let head = try bytes(at: offset, count: 8)
        var r = ByteReader(head)
        let length = Int(try r.u32("record.length"))
        let expected = try r.u32("record.crc32")
        if length > RecordFormat.maxRecordBytes { return finish("record length \(length) exceeds the limit") }
        if fileSize - offset - 8 < length {
            return finish("record cut short (\(length) bytes declared, \(fileSize - offset - 8) present)")
        }
        let payload = try bytes(at: offset + 8, count: length)
        if RecordFormat.crc([head[0..<4], payload[...]]) != expected { return finish("checksum mismatch") }
        let message: RecordedMessage
        do { message = try RecordFormat.decodePayload(payload) } catch { return finish("bad payload: \(error)") }
        offset += 8 + length
        recordsRead += 1
        return message
    }

    /// Every valid record and how the file ended.
    public static func readAll(path: String) throws -> (messages: [RecordedMessage], stop: Stop) {
        let reader = try RecordReader(path: path)
        var messages: [RecordedMessage] = []
        while let m = try reader.next() { messages.append(m) }
        return (messages, reader.stop ?? .clean)
    }

    private func finish(_ reason: String?) -> RecordedMessage? {
        stop = reason.map { .damaged(offset: offset, discardedBytes: fileSize - offset, reason: $0) } ?? .clean
        return nil
    }

    /// `count` bytes at file offset `at`, reading ahead in 1 MiB chunks.
    private func bytes(at position: Int, count: Int) throws -> [UInt8] {
        if position < bufferStart || position + count > bufferStart + buffer.count {
            try handle.seek(toOffset: UInt64(position))
            buffer = try handle.read(upToCount: max(count, 1 << 20)).map(Array.init) ?? []
            bufferStart = position
            guard buffer.count >= count else {
                throw WireError("file", .truncated(needed: count, available: buffer.count))
            }
        }
        let start = position - bufferStart
        return Array(buffer[start..<start + count])
    }
}
