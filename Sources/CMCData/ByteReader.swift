/// A bounds-checked cursor over a byte buffer, in a chosen endianness.
///
/// Every read checks the remaining length first and throws `DataError.malformed` instead of
/// trapping: input files are untrusted, and a truncated download must never crash a training run.
struct ByteReader {
    let bytes: [UInt8]
    let file: String
    let bigEndian: Bool
    private(set) var offset: Int
    /// Exclusive upper bound of the readable window (a sub-element's end, or the buffer's end).
    let end: Int

    init(bytes: [UInt8], file: String, bigEndian: Bool, offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.file = file
        self.bigEndian = bigEndian
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { max(0, end - offset) }
    var isAtEnd: Bool { offset >= end }

    func malformed(_ reason: String) -> DataError { .malformed(file: file, reason: reason) }

    /// Throws unless `count` more bytes are available.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw malformed("truncated: \(what()) needs \(count) bytes at offset \(offset), \(remaining) left")
        }
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "padding") throws {
        try require(count, what())
        offset += count
    }

    /// Skips the padding that rounds a payload of `length` bytes up to 8, tolerating a missing
    /// tail at the very end of the buffer.
    mutating func skipPadding(after length: Int) {
        offset = min(offset + (8 - length % 8) % 8, end)
    }


    mutating func readUInt16() throws -> UInt16 {
        try require(2, "uint16")
        defer { offset += 2 }
        return UInt16(load(at: offset, count: 2))
    }

    mutating func readUInt32() throws -> UInt32 {
        try require(4, "uint32")
        defer { offset += 4 }
        return UInt32(load(at: offset, count: 4))
    }

    /// Reads an unsigned integer of `count` bytes at `position` (no bounds check: callers check).
    func load(at position: Int, count: Int) -> UInt64 {
        var v: UInt64 = 0
        if bigEndian {
            for i in 0..<count { v = (v << 8) | UInt64(bytes[position + i]) }
        } else {
            for i in stride(from: count - 1, through: 0, by: -1) { v = (v << 8) | UInt64(bytes[position + i]) }
        }
        return v
    }
}
