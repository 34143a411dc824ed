/// A bounds-checked cursor over untrusted bytes (frames from the wire, recordings, MAT files), in a chosen
/// endianness.
///
/// Every read checks the remaining length first and throws instead of trapping; the error is the caller's
/// own type (`Failure`), made from a `Truncation` that names the field, so a truncated frame reads as a
/// wire error and a truncated download as a data error naming the file.
public struct ByteReader<Failure: Error> {
    /// What was missing: the field being read, the bytes it needed, the bytes left, where.
    public struct Truncation: Sendable {
        public let field: String
        public let needed: Int
        public let available: Int
        public let offset: Int
    }

    public let bytes: [UInt8]
    /// What the bytes are (a file path, "frame"): for the caller's error messages.
    public let source: String
    public let bigEndian: Bool
    public private(set) var offset: Int
    /// Exclusive upper bound of the readable window (a sub-element's end, or the buffer's end).
    public let end: Int
    private let failure: @Sendable (Truncation) -> Failure

    public init(
        _ bytes: [UInt8], source: String = "", bigEndian: Bool = false, offset: Int = 0, end: Int? = nil,
        failure: @escaping @Sendable (Truncation) -> Failure
    ) {
        self.bytes = bytes
        self.source = source
        self.bigEndian = bigEndian
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
        self.failure = failure
    }

    /// The same bytes and error type, over another window (a sub-element).
    public func window(offset: Int, end: Int) -> ByteReader {
        ByteReader(bytes, source: source, bigEndian: bigEndian, offset: offset, end: end, failure: failure)
    }

    /// Other bytes (an inflated element, say), read with the same endianness and error type.
    public func reading(_ other: [UInt8]) -> ByteReader {
        ByteReader(other, source: source, bigEndian: bigEndian, failure: failure)
    }

    public var remaining: Int { max(0, end - offset) }
    public var isAtEnd: Bool { offset >= end }

    /// Throws unless `count` more bytes are available.
    public func require(_ count: Int, _ field: @autoclosure () -> String) throws(Failure) {
        guard count >= 0, count <= remaining else {
            throw failure(Truncation(field: field(), needed: count, available: remaining, offset: offset))
        }
    }

    public mutating func skip(_ count: Int, _ field: @autoclosure () -> String) throws(Failure) {
        try require(count, field())
        offset += count
    }

    /// Skips the padding that rounds a payload of `length` bytes up to 8, tolerating a missing tail at the
    /// very end of the buffer (MAT files written by some tools omit it).
    public mutating func skipPadding(after length: Int) {
        offset = min(offset + (8 - length % 8) % 8, end)
    }

    public mutating func u8(_ field: @autoclosure () -> String) throws(Failure) -> UInt8 {
        UInt8(truncatingIfNeeded: try integer(1, field()))
    }

    public mutating func u16(_ field: @autoclosure () -> String) throws(Failure) -> UInt16 {
        UInt16(truncatingIfNeeded: try integer(2, field()))
    }

    public mutating func u32(_ field: @autoclosure () -> String) throws(Failure) -> UInt32 {
        UInt32(truncatingIfNeeded: try integer(4, field()))
    }

    public mutating func u64(_ field: @autoclosure () -> String) throws(Failure) -> UInt64 {
        try integer(8, field())
    }

    public mutating func i64(_ field: @autoclosure () -> String) throws(Failure) -> Int64 {
        Int64(bitPattern: try integer(8, field()))
    }

    public mutating func raw(_ count: Int, _ field: @autoclosure () -> String) throws(Failure) -> ArraySlice<UInt8> {
        try require(count, field())
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Reads `count` little-endian float32 values, checking the length once rather than per value.
    public mutating func f32Array(_ count: Int, _ field: @autoclosure () -> String) throws(Failure) -> [Float] {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        if overflow { throw failure(Truncation(field: field(), needed: .max, available: remaining, offset: offset)) }
        try require(byteCount, field())
        let start = offset
        offset += byteCount
        return [Float](unsafeUninitializedCapacity: count) { out, initialised in
            bytes.withUnsafeBytes { source in
                for i in 0..<count {
                    let bits = source.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)
                    out[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            initialised = count
        }
    }

    /// The unsigned integer of `count` bytes at `position`, in the reader's endianness. Not bounds-checked
    /// against the window: for callers that validated an element's extent already.
    public func load(at position: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        if bigEndian {
            for i in 0..<count { value = (value << 8) | UInt64(bytes[position + i]) }
        } else {
            for i in stride(from: count - 1, through: 0, by: -1) { value = (value << 8) | UInt64(bytes[position + i]) }
        }
        return value
    }

    private mutating func integer(_ size: Int, _ field: @autoclosure () -> String) throws(Failure) -> UInt64 {
        try require(size, field())
        defer { offset += size }
        return load(at: offset, count: size)
    }
}
