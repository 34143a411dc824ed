import CMCStream
#if canImport(Glibc)
    import Glibc
#endif

/// Sends IMU and skeleton frames to `cmcd` from a gateway written in Swift (docs/protocol.md §3):
/// sequence numbers per subject and stream, start + period or explicit timestamps, CURVE.
///
/// ```swift
/// let publisher = try SensorPublisher(imu: [.connect("tcp://127.0.0.1:5555")], skeleton: [.connect("tcp://127.0.0.1:5556")])
/// try publisher.sendIMU(subject: 7, samples: [[0, 0, 1, 0, 0, 0]], units: [.standardGravity, .standardGravity,
/// .standardGravity,
///                       .degreesPerSecond, .degreesPerSecond, .degreesPerSecond], start: t0, period: 20_000_000)
/// ```
///
/// Not `Sendable`: ZeroMQ sockets belong to one thread; create the publisher on the thread that sends.
public final class SensorPublisher {
    private let context: ZMQContext
    private let imu: ZMQSocket?
    private let skeleton: ZMQSocket?
    private var sequences: [Key: UInt64] = [:]

    private struct Key: Hashable {
        var subject: UInt32
        var modality: Modality
    }

    public init(imu: [Endpoint] = [], skeleton: [Endpoint] = [], curve: CurveClient? = nil, context: ZMQContext? = nil)
        throws
    {
        let context = try context ?? ZMQContext()
        func socket(_ endpoints: [Endpoint]) throws -> ZMQSocket? {
            guard !endpoints.isEmpty else { return nil }
            let s = try ZMQSocket(context: context, type: .pub, lingerMilliseconds: 1000)
            try s.setHighWaterMarks(send: 100_000)
            try s.attach(endpoints, curve: curve)
            return s
        }
        self.context = context
        self.imu = try socket(imu)
        self.skeleton = try socket(skeleton)
    }

    deinit { close() }

    public func close() {
        imu?.close()
        skeleton?.close()
    }

    /// One IMU frame: `samples[k]` holds the channels of sample k, taken at `start + k·period` ns.
    public func sendIMU(subject: UInt32, samples: [[Float]], units: [SensorUnit], start: Int64, period: UInt32) throws {
        try send(
            .inertial, subject: subject, channels: units.count, joints: 0, samples: samples, units: units,
            timing: .regular(start: start, periodNanoseconds: period))
    }

    /// One skeleton message: `frames[k]` holds x, y, z of joint 0, then joint 1, … (joint-major).
    public func sendSkeleton(
        subject: UInt32, frames: [[Float]], joints: Int, unit: SensorUnit, start: Int64, period: UInt32,
        coordinates: Int = 3
    ) throws {
        try send(
            .skeleton, subject: subject, channels: coordinates, joints: joints, samples: frames,
            units: Array(repeating: unit, count: coordinates), timing: .regular(start: start, periodNanoseconds: period)
        )
    }

    /// Any frame, e.g. with explicit timestamps (`.explicit([…])`) for a jittery sensor.
    public func send(
        _ modality: Modality, subject: UInt32, channels: Int, joints: Int, samples: [[Float]], units: [SensorUnit],
        timing: FrameTiming
    ) throws {
        guard let socket = modality == .inertial ? imu : skeleton else {
            throw ZMQError(code: ENOTSOCK, operation: "no \(modality) endpoint given to this publisher")
        }
        let key = Key(subject: subject, modality: modality)
        let sequence = sequences[key, default: 0]
        sequences[key] = sequence &+ 1
        let frame = SensorFrame(
            modality: modality, subject: subject, sequence: sequence, channels: channels, joints: joints, units: units,
            timing: timing, values: samples.flatMap { $0 })
        _ = try socket.send(FrameCodec.message(frame))
    }
}
