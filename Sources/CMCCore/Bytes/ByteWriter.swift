/// Appends little-endian fields to a byte array (the wire protocol and recordings are little-endian
/// throughout: the conversions are no-ops on x86-64 and arm64 but keep the formats host-independent).
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { append(v.littleEndian) }
    public mutating func u32(_ v: UInt32) { append(v.littleEndian) }
    public mutating func u64(_ v: UInt64) { append(v.littleEndian) }
    public mutating func i64(_ v: Int64) { append(v.littleEndian) }
    public mutating func f32(_ v: Float) { append(v.bitPattern.littleEndian) }
    public mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
}
