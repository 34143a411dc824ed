/// One recorded trial: raw (not yet resampled) arrays for each modality present, plus its identity.
///
/// Either modality may be nil so IMU-only (BasicMotions) or skeleton-only data fit the same type;
/// downstream code must read shapes from the arrays and `DatasetInfo`, never assume 6 channels,
/// 20 joints or 27 classes.
public struct Sample: Sendable, Equatable {
    /// Stable identifier, e.g. `a1_s1_t1` (UTD-MHAD) or `S30A01T01` (SmartFallMM).
    public var id: String
    /// 0-based class index into `DatasetInfo.classNames`.
    public var label: Int
    public var subject: Int
    public var trial: Int
    /// Raw inertial data `(C, T_i)`, channel-major.
    public var inertial: DataArray?
    /// Raw skeleton data `(C, T_s, J)`: coordinate axis, frame, joint.
    public var skeleton: DataArray?
    /// Files the sample was read from.
    public var sources: [String]

    public init(
        id: String, label: Int, subject: Int, trial: Int,
        inertial: DataArray?, skeleton: DataArray?, sources: [String]
    ) {
        self.id = id
        self.label = label
        self.subject = subject
        self.trial = trial
        self.inertial = inertial
        self.skeleton = skeleton
        self.sources = sources
    }

    /// Number of raw inertial samples (0 when absent).
    public var inertialLength: Int { inertial?.shape[1] ?? 0 }
    /// Number of raw skeleton frames (0 when absent).
    public var skeletonLength: Int { skeleton?.shape[1] ?? 0 }
}

/// One inertial channel: what it measures and in which unit.
public struct ChannelInfo: Sendable, Codable, Equatable {
    /// Short name, e.g. `acc_x`.
    public var name: String
    /// Physical unit, e.g. `g`, `m/s^2`, `deg/s`, `rad/s`.
    public var unit: String
    /// The sensor it comes from (`accelerometer`, `gyroscope`); plots draw one panel per sensor.
    public var sensor: String

    public init(name: String, unit: String, sensor: String) {
        self.name = name
        self.unit = unit
        self.sensor = sensor
    }
}

/// Everything downstream needs to know about a dataset's layout. Travels with model bundles so
/// the daemon never re-types class lists or channel layouts.
public struct DatasetInfo: Sendable, Codable, Equatable {
    public var name: String
    public var classNames: [String]
    public var inertialChannels: [ChannelInfo]
    /// Nominal inertial sample rate in Hz (after any merging onto a uniform grid).
    public var inertialSampleRate: Double?
    /// Coordinates per joint (3 for x, y, z), nil when there is no skeleton.
    public var skeletonDimensions: Int?
    /// Joints per frame, nil when there is no skeleton.
    public var jointCount: Int?
    /// Joint names when known (or inferred — see `jointNamesNote`).
    public var jointNames: [String]?
    public var jointNamesNote: String?
    /// Bones as pairs of joint indices, for drawing stick figures; empty when unknown.
    public var bones: [[Int]]
    /// Nominal skeleton frame rate in Hz.
    public var skeletonFrameRate: Double?
    /// Unit of skeleton coordinates, e.g. `m` or `mm`.
    public var skeletonUnit: String?
    /// Where the IMU is worn for each class (same order as `classNames`).
    public var imuPlacementByClass: [String]
    /// The classes whose events matter most where the dataset's activities are watched for (SmartFallMM:
    /// its falls); stream evaluations score their detection on their own (`cmc-replay --focus-classes`).
    /// nil when none stand out.
    public var focusClasses: [String]?
    /// Whether each sample's IMU and skeleton span the same interval on one clock (nil: yes, as in
    /// UTD-MHAD). SmartFallMM cut them separately: their lengths and the action's offset in each differ,
    /// so a replay cannot derive one modality's rate from the other's length.
    public var synchronisedModalities: Bool?

    public init(
        name: String, classNames: [String], inertialChannels: [ChannelInfo],
        inertialSampleRate: Double?, skeletonDimensions: Int?, jointCount: Int?,
        jointNames: [String]?, jointNamesNote: String? = nil, bones: [[Int]],
        skeletonFrameRate: Double?, skeletonUnit: String?, imuPlacementByClass: [String],
        focusClasses: [String]? = nil, synchronisedModalities: Bool? = nil
    ) {
        self.name = name
        self.classNames = classNames
        self.inertialChannels = inertialChannels
        self.inertialSampleRate = inertialSampleRate
        self.skeletonDimensions = skeletonDimensions
        self.jointCount = jointCount
        self.jointNames = jointNames
        self.jointNamesNote = jointNamesNote
        self.bones = bones
        self.skeletonFrameRate = skeletonFrameRate
        self.skeletonUnit = skeletonUnit
        self.imuPlacementByClass = imuPlacementByClass
        self.focusClasses = focusClasses
        self.synchronisedModalities = synchronisedModalities
    }

    public var classCount: Int { classNames.count }
    public var hasInertial: Bool { !inertialChannels.isEmpty }
    public var hasSkeleton: Bool { jointCount != nil }

    /// IMU placement for a class index ("unknown" when out of range).
    public func imuPlacement(forClass label: Int) -> String {
        imuPlacementByClass.indices.contains(label) ? imuPlacementByClass[label] : "unknown"
    }
}

/// A loaded dataset: its description, the samples that could be read, and what went wrong.
public struct Dataset: Sendable {
    public var info: DatasetInfo
    /// Sorted by (label, subject, trial) so the order is independent of directory listing order.
    public var samples: [Sample]
    public var problems: [DataProblem]
    /// Dataset-level remarks for reports (e.g. how many duplicate timestamps were merged).
    public var notes: [String] = []

    public init(info: DatasetInfo, samples: [Sample], problems: [DataProblem]) {
        self.info = info
        self.samples = samples.sorted {
            ($0.label, $0.subject, $0.trial, $0.id) < ($1.label, $1.subject, $1.trial, $1.id)
        }
        self.problems = problems
    }

    /// The sample with the given id, if loaded.
    public func sample(id: String) -> Sample? { samples.first { $0.id == id } }

    /// Distinct subjects present, ascending.
    public var subjects: [Int] { Array(Set(samples.map(\.subject))).sorted() }
}
