import CMCCore
/// Encoder and validating decoder for protocol v1 IMU and skeleton frames (docs/protocol.md §3).
public enum FrameCodec {
    public static let magic: [UInt8] = Array("CMCF".utf8)
    public static let version: UInt8 = 1
    public static let headerSize = 40
    /// Flag bit 0: one i64 timestamp per sample follows the units instead of start + period.
    public static let explicitTimestampsFlag: UInt8 = 1

    public static let maxChannels = 64
    public static let maxJoints = 128
    public static let maxSamples = 4096
    public static let maxMessageBytes = 4 << 20
    /// What receiving sockets accept per message part (`ZMQSocket.limitInboundMessages`): the largest
    /// legal frame payload; topics and label events are far smaller.
    public static let maxInboundPartBytes = maxMessageBytes
    /// Sample times must lie within ±2^62 ns (±146 years around the sensor's epoch; Unix-epoch
    /// nanoseconds fit until 2116). The margin keeps every difference the daemon takes inside Int64.
    public static let timestampLimit: Int64 = 1 << 62

    // MARK: Encoding

    public static func encode(_ frame: SensorFrame) -> [UInt8] {
        let n = frame.sampleCount
        var w = ByteWriter(capacity: headerSize + frame.channels + 8 * n + 4 * frame.values.count)
        w.raw(magic)
        w.u8(version)
        w.u8(frame.modality.rawValue)
        if case .explicit = frame.timing { w.u8(explicitTimestampsFlag) } else { w.u8(0) }
        w.u8(0)
        w.u32(frame.subject)
        w.u16(frame.source)
        w.u16(UInt16(truncatingIfNeeded: frame.channels))
        w.u16(UInt16(truncatingIfNeeded: frame.joints))
        w.u16(UInt16(truncatingIfNeeded: n))
        switch frame.timing {
        case .regular(let start, let period):
            w.u32(period)
            w.u64(frame.sequence)
            w.i64(start)
        case .explicit(let times):
            w.u32(0)
            w.u64(frame.sequence)
            w.i64(times.first ?? 0)
        }
        for unit in frame.units { w.u8(unit.rawValue) }
        if case .explicit(let times) = frame.timing { for t in times { w.i64(t) } }
        for v in frame.values { w.f32(v) }
        return w.bytes
    }

    /// `[topic, payload]`, ready for `ZMQSocket.send`.
    public static func message(_ frame: SensorFrame) -> [[UInt8]] { [Array(frame.topic.utf8), encode(frame)] }

    // MARK: Decoding

    /// Decodes a two-part `[topic, payload]` message and checks that the topic matches the payload.
    public static func decode(message parts: [[UInt8]]) throws(WireError) -> SensorFrame {
        guard parts.count == 2 else {
            throw WireError("message", .invalid("expected 2 parts [topic, payload], got \(parts.count)"))
        }
        let frame = try decode(parts[1])
        if parts[0] != Array(frame.topic.utf8) {
            throw WireError("topic", .invalid("expected \"\(frame.topic)\" for this payload"))
        }
        return frame
    }

    /// Decodes and validates one payload. Every field is checked; nothing traps on hostile input.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> SensorFrame {
        if bytes.count > maxMessageBytes {
            throw WireError("payload", .invalid("\(bytes.count) bytes exceeds \(maxMessageBytes)"))
        }
        var r = ByteReader(bytes)
        if Array(try r.raw(4, "header.magic")) != magic { throw WireError("header.magic", .badMagic) }
        let version = try r.u8("header.version")
        if version != FrameCodec.version { throw WireError("header.version", .unsupportedVersion(version)) }
        let type = try r.u8("header.type")
        guard let modality = Modality(rawValue: type) else { throw WireError("header.type", .unknownMessageType(type)) }
        let flags = try r.u8("header.flags")
        if flags & ~explicitTimestampsFlag != 0 {
            throw WireError("header.flags", .invalid("reserved flag bits set (0x\(String(flags, radix: 16)))"))
        }
        if try r.u8("header.reserved") != 0 { throw WireError("header.reserved", .invalid("must be 0")) }
        let subject = try r.u32("header.subject")
        let source = try r.u16("header.source")
        let channels = Int(try r.u16("header.channels"))
        let joints = Int(try r.u16("header.joints"))
        let count = Int(try r.u16("header.samples"))
        let period = try r.u32("header.period_ns")
        let sequence = try r.u64("header.sequence")
        let t0 = try r.i64("header.t0_ns")

        if !(1...maxChannels).contains(channels) {
            throw WireError("header.channels", .invalid("must be 1...\(maxChannels), got \(channels)"))
        }
        switch modality {
        case .inertial where joints != 0:
            throw WireError("header.joints", .invalid("must be 0 for IMU frames, got \(joints)"))
        case .skeleton where !(1...maxJoints).contains(joints):
            throw WireError("header.joints", .invalid("must be 1...\(maxJoints), got \(joints)"))
        default: break
        }
        if !(1...maxSamples).contains(count) {
            throw WireError("header.samples", .invalid("must be 1...\(maxSamples), got \(count)"))
        }
        let explicit = flags & explicitTimestampsFlag != 0
        if explicit && period != 0 {
            throw WireError("header.period_ns", .invalid("must be 0 with explicit timestamps"))
        }
        if !explicit && period == 0 {
            throw WireError("header.period_ns", .invalid("must be > 0 without explicit timestamps"))
        }
        if !(-timestampLimit...timestampLimit).contains(t0)
            || (!explicit && t0 + Int64(count - 1) * Int64(period) > timestampLimit)
        {
            throw WireError("header.t0_ns", .invalid("sample times must lie within ±2^62 ns"))
        }

        var units: [SensorUnit] = []
        units.reserveCapacity(channels)
        for i in 0..<channels {
            let code = try r.u8("units[\(i)]")
            guard let unit = SensorUnit(rawValue: code) else {
                throw WireError("units[\(i)]", .invalid("unknown unit code \(code)"))
            }
            units.append(unit)
        }

        let timing: FrameTiming
        if explicit {
            var times: [Int64] = []
            times.reserveCapacity(count)
            for k in 0..<count {
                let t = try r.i64("timestamps[\(k)]")
                if k == 0 ? t != t0 : t <= times[k - 1] { throw WireError("timestamps[\(k)]", .notIncreasing) }
                if t > timestampLimit {
                    throw WireError("timestamps[\(k)]", .invalid("sample times must lie within ±2^62 ns"))
                }
                times.append(t)
            }
            timing = .explicit(times)
        } else {
            timing = .regular(start: t0, periodNanoseconds: period)
        }

        let stride = modality == .inertial ? channels : channels * joints
        let values = try r.f32Array(count * stride, "data")
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw WireError("data[\(bad / stride)][\(bad % stride)]", .nonFinite)
        }
        if r.remaining != 0 { throw WireError("payload", .trailingBytes(r.remaining)) }
        return SensorFrame(
            modality: modality, subject: subject, source: source, sequence: sequence,
            channels: channels, joints: joints, units: units, timing: timing, values: values)
    }
}
