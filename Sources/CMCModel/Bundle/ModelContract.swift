import CMCData
import Foundation

/// What a model bundle expects on the wire and what it answers with: the input contract a sensor
/// gateway is written against (docs/protocol.md §5.3), read from the bundle's metadata alone.
/// `cmc-train model-info` prints it; `--json` gives it to programs.
public struct ModelContract: Codable, Sendable, Equatable {
    public struct Channel: Codable, Sendable, Equatable {
        public var index: Int
        public var name: String
        public var sensor: String
        public var unit: String
    }

    public struct Inertial: Codable, Sendable, Equatable {
        /// In wire order: sample values are sent in this order.
        public var channels: [Channel]
        public var sampleRateHz: Double?
        /// Where the IMU was worn, per class (same order as `classes`).
        public var placementByClass: [String]

        enum CodingKeys: String, CodingKey {
            case channels, sampleRateHz = "sample_rate_hz", placementByClass = "placement_by_class"
        }
    }

    public struct Skeleton: Codable, Sendable, Equatable {
        /// In wire order (joint-major frames: x, y, z of joint 0, then joint 1, …).
        public var joints: [String]
        public var coordinates: Int
        public var unit: String?
        /// Nominal frame rate; what the sender actually delivers is measured from its timestamps.
        public var frameRateHz: Double?
        public var bones: [[Int]]

        enum CodingKeys: String, CodingKey { case joints, coordinates, unit, frameRateHz = "frame_rate_hz", bones }
    }

    public var name: String
    public var method: String
    public var classes: [String]
    /// Labels the daemon publishes besides the classes: "idle" (index −2) and "unknown" (−1).
    public var backgroundLabels: [String: Int]
    /// Classes the model learned as "no action" (published as idle, −2): e.g. `idle` after `cmc-train stream-head`.
    public var backgroundClasses: [String]
    public var windowSeconds: Double
    public var inertial: Inertial?
    public var skeleton: Skeleton?
    /// What a window is resampled to before the encoders.
    public var resampleLength: Int
    public var trainedOnSubjects: [Int]
    public var validation: [String: Double]
    public var created: String
    public var cmcVersion: String
    public var bundleFormatVersion: Int
    /// Softmax temperatures per head and the model's unknown threshold (absent: T = 1, the daemon's 0.1).
    public var calibration: Calibration?

    enum CodingKeys: String, CodingKey {
        case name, method, classes, inertial, skeleton, validation, created
        case backgroundLabels = "background_labels", backgroundClasses = "background_classes", windowSeconds =
            "window_seconds", resampleLength = "resample_length"
        case trainedOnSubjects = "trained_on_subjects", cmcVersion = "cmc_version", bundleFormatVersion =
            "bundle_format_version"
        case calibration
    }

    public init(_ m: BundleMetadata) {
        let d = m.dataset
        name = d.name
        method = m.method
        classes = d.classNames
        backgroundLabels = ["idle": -2, "unknown": -1]
        backgroundClasses = m.backgroundClasses ?? []
        windowSeconds = m.windowSeconds
        inertial =
            d.hasInertial
            ? Inertial(
                channels: d.inertialChannels.enumerated().map {
                    Channel(
                        index: $0.offset, name: $0.element.name, sensor: $0.element.sensor,
                        unit: $0.element.unit)
                },
                sampleRateHz: d.inertialSampleRate, placementByClass: d.imuPlacementByClass) : nil
        skeleton =
            d.hasSkeleton
            ? Skeleton(
                joints: d.jointNames ?? (0..<(d.jointCount ?? 0)).map { "joint_\($0)" },
                coordinates: d.skeletonDimensions ?? 3,
                unit: d.skeletonUnit, frameRateHz: d.skeletonFrameRate, bones: d.bones) : nil
        resampleLength = m.preprocessing.length
        trainedOnSubjects = m.split["train"] ?? []
        validation = m.validation
        created = m.created
        cmcVersion = m.cmcVersion
        bundleFormatVersion = m.version
        calibration = m.calibration
    }

    /// One screen for a person.
    public var summary: String {
        var lines = [
            "model       \(name) (\(method)), \(classes.count) classes, window \(windowSeconds) s, resampled to \(resampleLength) steps"
        ]
        if let i = inertial {
            lines.append(
                "IMU         \(i.channels.count) channels at " + (i.sampleRateHz.map { "\($0) Hz" } ?? "any rate")
                    + ", in this order:")
            for c in i.channels { lines.append("              \(c.index)  \(c.name)  (\(c.sensor), \(c.unit))") }
        }
        if let s = skeleton {
            lines.append(
                "skeleton    \(s.joints.count) joints × \(s.coordinates) coordinates in \(s.unit ?? "unspecified units"), nominal "
                    + (s.frameRateHz.map { "\($0) fps" } ?? "any rate") + ", joint order:")
            for (k, chunk) in stride(from: 0, to: s.joints.count, by: 5).map({
                ($0, s.joints[$0..<min(s.joints.count, $0 + 5)])
            }) {
                lines.append(
                    "              "
                        + chunk.enumerated().map { "\(k + $0.offset) \($0.element)" }.joined(separator: ", "))
            }
        }
        lines.append("classes     " + classes.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))
        let modelIdle =
            backgroundClasses.isEmpty ? "" : " or when the model says " + backgroundClasses.joined(separator: "/")
        lines.append(
            "also        idle (label_index -2, between actions\(modelIdle)), unknown (-1, below the confidence threshold)"
        )
        lines.append(
            "trained on  subjects \(trainedOnSubjects.map(String.init).joined(separator: ", ")); created \(created), cmc \(cmcVersion)"
        )
        if let c = calibration {
            let temperatures = c.temperatures.sorted { $0.key < $1.key }.map {
                String(format: "%@ %.2f", $0.key, $0.value)
            }
            lines.append(
                "calibrated  temperatures " + temperatures.joined(separator: ", ")
                    + (c.unknownThreshold.map { String(format: "; unknown below %.2f", $0) } ?? "") + " (\(c.method))")
        }
        if !validation.isEmpty {
            lines.append(
                "validation  "
                    + validation.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(
                        separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
