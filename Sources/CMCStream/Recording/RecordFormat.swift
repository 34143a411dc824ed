import CMCCore
import CZlib

/// One ZeroMQ message as recorded by `cmc-record`, with when it arrived.
public struct RecordedMessage: Sendable, Equatable {
    /// Which subscription it came from (replay republishes it on the matching socket).
    public enum Channel: UInt8, Sendable {
        case other = 0, imu = 1, skeleton = 2, labels = 3
    }

    /// CLOCK_MONOTONIC ns at arrival: replay reproduces the spacing between messages from these.
    public var monotonicNanoseconds: Int64
    /// Wall-clock ns at arrival, for humans and cross-referencing logs.
    public var unixNanoseconds: Int64
    public var channel: Channel
    /// The multipart message as received: `[topic, payload]` for cmc traffic.
    public var parts: [[UInt8]]

    public init(monotonicNanoseconds: Int64, unixNanoseconds: Int64, channel: Channel, parts: [[UInt8]]) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.unixNanoseconds = unixNanoseconds
        self.channel = channel
        self.parts = parts
    }
}

/// The `.cmcrec` file format (docs/protocol.md §7): an 16-byte file header, then records
/// `[u32 length][u32 crc32][payload]`, little-endian, where the CRC-32 (zlib) covers the length field
/// and the payload. Appending whole records and checksumming the length too means any torn write or
/// bit flip is detected: a reader recovers every record before it and reports where it stopped.
public enum RecordFormat {
    public static let magic: [UInt8] = Array("CMCREC1\n".utf8)
    public static let version: UInt32 = 1
    public static let fileHeaderSize = 16
    public static let maxRecordBytes = 64 << 20

    static func crc(_ chunks: [ArraySlice<UInt8>]) -> UInt32 {
        var c: uLong = crc32(0, nil, 0)
        for chunk in chunks {
            chunk.withUnsafeBytes { raw in
                c = crc32(c, raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count))
            }
        }
        return UInt32(truncatingIfNeeded: c)
    }

    static func fileHeader() -> [UInt8] {
        var w = ByteWriter()
        w.raw(magic)
        w.u32(version)
        w.u32(0)
        return w.bytes
    }

    /// A complete record (length, checksum, payload) for `message`.
    static func record(_ message: RecordedMessage) -> [UInt8] {
        var p = ByteWriter()
        p.i64(message.monotonicNanoseconds)
        p.i64(message.unixNanoseconds)
        p.u8(message.channel.rawValue)
        p.u8(0)
        p.u16(UInt16(truncatingIfNeeded: message.parts.count))
        for part in message.parts {
            p.u32(UInt32(part.count))
            p.raw(part)
        }
        var length = ByteWriter()
        length.u32(UInt32(p.bytes.count))
        var out = length.bytes
        var checksum = ByteWriter()
        checksum.u32(crc([length.bytes[...], p.bytes[...]]))
        out += checksum.bytes
        out += p.bytes
        return out
    }

    static func decodePayload(_ payload: [UInt8]) throws(WireError) -> RecordedMessage {
        var r = ByteReader(payload)
        let mono = try r.i64("record.monotonic_ns")
        let unix = try r.i64("record.unix_ns")
        let code = try r.u8("record.channel")
        guard let channel = RecordedMessage.Channel(rawValue: code) else {
            throw WireError("record.channel", .invalid("unknown channel \(code)"))
        }
        _ = try r.u8("record.reserved")
        let count = Int(try r.u16("record.parts"))
        var parts: [[UInt8]] = []
        for i in 0..<count {
            let n = Int(try r.u32("record.part[\(i)].length"))
            parts.append(Array(try r.raw(n, "record.part[\(i)]")))
        }
        if r.remaining != 0 { throw WireError("record", .trailingBytes(r.remaining)) }
        return RecordedMessage(monotonicNanoseconds: mono, unixNanoseconds: unix, channel: channel, parts: parts)
    }
}
