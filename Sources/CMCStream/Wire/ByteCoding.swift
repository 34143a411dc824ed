/// Appends little-endian fields to a byte array. Protocol v1 is little-endian throughout, so the
/// explicit conversions below are no-ops on x86-64 and arm64 but keep the format host-independent.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { append(v.littleEndian) }
    mutating func u32(_ v: UInt32) { append(v.littleEndian) }
    mutating func u64(_ v: UInt64) { append(v.littleEndian) }
    mutating func i64(_ v: Int64) { append(v.littleEndian) }
    mutating func f32(_ v: Float) { append(v.bitPattern.littleEndian) }
    mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
}

/// Reads little-endian fields from a byte array, checking every read against the remaining length and
/// naming the field in the error it throws.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ count: Int, _ field: @autoclosure () -> String) throws(WireError) {
        if count < 0 || count > remaining { throw WireError(field(), .truncated(needed: count, available: remaining)) }
    }

    mutating func u8(_ field: @autoclosure () -> String) throws(WireError) -> UInt8 {
        try require(1, field()); defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: @autoclosure () -> String) throws(WireError) -> UInt16 {
        UInt16(truncatingIfNeeded: try integer(2, field()))
    }

    mutating func u32(_ field: @autoclosure () -> String) throws(WireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try integer(4, field()))
    }

    mutating func u64(_ field: @autoclosure () -> String) throws(WireError) -> UInt64 { try integer(8, field()) }

    mutating func i64(_ field: @autoclosure () -> String) throws(WireError) -> Int64 {
        Int64(bitPattern: try integer(8, field()))
    }

    mutating func raw(_ count: Int, _ field: @autoclosure () -> String) throws(WireError) -> ArraySlice<UInt8> {
        try require(count, field()); defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Reads `count` float32 values without per-value bounds checks (the length is checked once).
    mutating func f32Array(_ count: Int, _ field: @autoclosure () -> String) throws(WireError) -> [Float] {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        if overflow { throw WireError(field(), .truncated(needed: Int.max, available: remaining)) }
        try require(byteCount, field())
        let start = offset
        offset += byteCount
        return [Float](unsafeUninitializedCapacity: count) { out, initialised in
            bytes.withUnsafeBytes { src in
                for i in 0..<count {
                    let bits = src.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)
                    out[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            initialised = count
        }
    }

    private mutating func integer(_ size: Int, _ field: @autoclosure () -> String) throws(WireError) -> UInt64 {
        try require(size, field())
        var v: UInt64 = 0
        for i in 0..<size { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += size
        return v
    }
}
