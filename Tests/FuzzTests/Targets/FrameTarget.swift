import CMCStream

/// `FrameCodec.decode`: the protocol v1 IMU/skeleton frame payload and the `[topic, payload]` pair.
/// The encoding is canonical, so anything that decodes must re-encode to the very same bytes.
enum FrameTarget: FuzzTarget {
    static let name = "frame"

    static func run(_ bytes: [UInt8]) -> String? {
        guard let frame = try? FrameCodec.decode(bytes) else { return nil }
        if let problem = check(frame) { return problem }
        if FrameCodec.encode(frame) != bytes { return "re-encoding the decoded frame gives other bytes" }
        guard let again = try? FrameCodec.decode(message: FrameCodec.message(frame)), again == frame else {
            return "the frame's own [topic, payload] message does not decode to it"
        }
        if (try? FrameCodec.decode(message: [Array("imu/x/".utf8), bytes])) != nil {
            return "accepted a foreign topic"
        }
        return nil
    }

    static func check(_ f: SensorFrame) -> String? {
        guard f.stride > 0, f.values.count % f.stride == 0, f.sampleCount >= 1 else {
            return "\(f.values.count) values do not fill samples of \(f.stride)"
        }
        guard f.units.count == f.channels else { return "\(f.units.count) units for \(f.channels) channels" }
        if case .explicit(let times) = f.timing {
            guard times.count == f.sampleCount else { return "\(times.count) timestamps for \(f.sampleCount) samples" }
            guard zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }) else { return "timestamps not increasing" }
        }
        guard f.values.allSatisfy(\.isFinite) else { return "non-finite value accepted" }
        return nil
    }

    static func seeds() -> [[UInt8]] {
        let imu = SensorFrame(
            modality: .inertial, subject: 4, source: 1, sequence: 9, channels: 6, joints: 0,
            units: [
                .standardGravity, .standardGravity, .standardGravity,
                .degreesPerSecond, .degreesPerSecond, .degreesPerSecond,
            ],
            timing: .regular(start: 1_700_000_000_000_000_000, periodNanoseconds: 20_000_000),
            values: (0..<30).map { Float($0) / 3 })
        let skel = SensorFrame(
            modality: .skeleton, subject: 4, sequence: 2, channels: 3, joints: 2,
            timing: .explicit([-5, 10, 1 << 40]), values: (0..<18).map { -Float($0) })
        return [FrameCodec.encode(imu), FrameCodec.encode(skel)]
    }
}
