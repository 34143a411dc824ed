/// Physical unit of one channel (IMU) or coordinate (skeleton), as carried on the wire (docs/protocol.md §4).
public enum SensorUnit: UInt8, Sendable, CaseIterable {
    case unspecified = 0
    case metresPerSecondSquared = 1
    case standardGravity = 2
    case radiansPerSecond = 3
    case degreesPerSecond = 4
    case microtesla = 5
    case metres = 6
    case millimetres = 7
    case pixels = 8

    /// The unit values are converted to on ingest, and the factor to get there. Converting at the
    /// edge means a phone sending g and deg/s and a watch sending m/s² and rad/s feed the model alike.
    public var canonical: (unit: SensorUnit, scale: Float) {
        switch self {
        case .standardGravity: (.metresPerSecondSquared, 9.80665)
        case .degreesPerSecond: (.radiansPerSecond, Float.pi / 180)
        case .millimetres: (.metres, 0.001)
        default: (self, 1)
        }
    }
}

/// Which of the two sensor streams a frame belongs to. The raw value is the wire's message type.
public enum Modality: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case inertial = 1
    case skeleton = 2

    /// Topic prefix and the name used in label events and metrics.
    public var topicPrefix: String { self == .inertial ? "imu" : "skel" }
    public var description: String { self == .inertial ? "imu" : "skeleton" }
}

/// When each sample of a frame was taken, in nanoseconds of the sensor's clock.
public enum FrameTiming: Sendable, Equatable {
    /// Sample k was taken at `start + k × periodNanoseconds` (a steady sensor).
    case regular(start: Int64, periodNanoseconds: UInt32)
    /// One timestamp per sample, strictly increasing (a sensor with jitter or dropped samples).
    case explicit([Int64])

    public var start: Int64 {
        switch self {
        case .regular(let start, _): start
        case .explicit(let times): times.first ?? 0
        }
    }

    public func timestamp(ofSample k: Int) -> Int64 {
        switch self {
        case .regular(let start, let period): start &+ Int64(k) &* Int64(period)
        case .explicit(let times): times[k]
        }
    }
}

/// One decoded IMU or skeleton frame: a chunk of one or more consecutive samples from one sensor.
///
/// Values are sample-major as on the wire: IMU `values[k * channels + c]`; skeleton
/// `values[(k * joints + j) * channels + c]` where `channels` are the coordinates of a joint.
public struct SensorFrame: Sendable, Equatable {
    public var modality: Modality
    public var subject: UInt32
    /// IMU device id, or skeleton body id. Informational: the daemon pairs streams by subject.
    public var source: UInt16
    /// Per (subject, modality) message counter; a jump reveals frames lost upstream.
    public var sequence: UInt64
    public var channels: Int
    /// Skeleton joints; 0 for IMU frames.
    public var joints: Int
    public var units: [SensorUnit]
    public var timing: FrameTiming
    public var values: [Float]

    public init(
        modality: Modality, subject: UInt32, source: UInt16 = 0, sequence: UInt64, channels: Int,
        joints: Int, units: [SensorUnit]? = nil, timing: FrameTiming, values: [Float]
    ) {
        self.modality = modality
        self.subject = subject
        self.source = source
        self.sequence = sequence
        self.channels = channels
        self.joints = joints
        self.units = units ?? Array(repeating: .unspecified, count: channels)
        self.timing = timing
        self.values = values
    }

    /// Floats per sample: channels for IMU, joints × coordinates for skeleton.
    public var stride: Int { modality == .inertial ? channels : channels * joints }
    public var sampleCount: Int { stride == 0 ? 0 : values.count / stride }
    public var topic: String { Topic.frame(modality, subject: subject) }
}

/// ZeroMQ topics: the first part of every multipart message. Each ends with `/` so that a prefix
/// subscription to `label/4/` receives subject 4 only, not 40 or 41.
public enum Topic {
    public static func frame(_ modality: Modality, subject: UInt32) -> String { "\(modality.topicPrefix)/\(subject)/" }
    public static func label(subject: UInt32) -> String { "label/\(subject)/" }
    public static let allLabels = "label/"
    public static func action(subject: UInt32) -> String { "action/\(subject)/" }
    public static let allActions = "action/"
    /// The longest subscription a publishing socket (XPUB) reads; a longer one disconnects its sender.
    public static let maxSubscriptionBytes = 64 << 10
}
