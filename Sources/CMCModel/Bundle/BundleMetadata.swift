import CMCData
import Foundation

/// Everything the daemon (or an evaluation) needs to use a trained model correctly, stored as JSON in
/// the bundle's safetensors `__metadata__` under the key `cmc.bundle`.
public struct BundleMetadata: Codable, Sendable, Equatable {
    public static let formatName = "cmc-model-bundle"
    public static let currentVersion = 1

    public var format = BundleMetadata.formatName
    public var version = BundleMetadata.currentVersion
    /// Class names, channel layout and units, joints, nominal rates.
    public var dataset: DatasetInfo
    /// Resample length and skeleton normalisation — the exact preprocessing used in training.
    public var preprocessing: Preprocessor
    public var inertialEncoder: InertialEncoder.Config
    public var skeletonEncoder: SkeletonEncoder.Config
    public var classifierHidden: Int
    /// Window length the daemon cuts from live streams, in seconds.
    public var windowSeconds: Double
    /// How the encoders were trained (e.g. "cmc-cmkm") and the full training configuration (JSON).
    public var method: String
    public var trainingConfig: String
    /// Subjects per split used for training and model selection.
    public var split: [String: [Int]]
    /// Validation scores (accuracy, macro_f1, …) of the fused and fallback classifiers.
    public var validation: [String: Double]
    public var created: String
    public var cmcVersion: String

    public init(dataset: DatasetInfo, preprocessing: Preprocessor, inertialEncoder: InertialEncoder.Config,
                skeletonEncoder: SkeletonEncoder.Config, classifierHidden: Int, windowSeconds: Double, method: String,
                trainingConfig: String, split: [String: [Int]], validation: [String: Double]) {
        self.dataset = dataset; self.preprocessing = preprocessing
        self.inertialEncoder = inertialEncoder; self.skeletonEncoder = skeletonEncoder
        self.classifierHidden = classifierHidden; self.windowSeconds = windowSeconds
        self.method = method; self.trainingConfig = trainingConfig; self.split = split; self.validation = validation
        self.created = ISO8601DateFormatter().string(from: Date())
        self.cmcVersion = CMCVersion.string
    }

    /// Consistency checks between the parts of the metadata; each problem is named.
    public func problems() -> [String] {
        var p: [String] = []
        if format != BundleMetadata.formatName { p.append("format is \"\(format)\", expected \"\(BundleMetadata.formatName)\"") }
        if version > BundleMetadata.currentVersion {
            p.append("bundle version \(version) is newer than this cmc understands (\(BundleMetadata.currentVersion))")
        }
        if dataset.classNames.isEmpty { p.append("no class names") }
        if inertialEncoder.inChannels != dataset.inertialChannels.count {
            p.append("inertial encoder takes \(inertialEncoder.inChannels) channels, the channel layout lists \(dataset.inertialChannels.count)")
        }
        if let j = dataset.jointCount, j != skeletonEncoder.joints {
            p.append("skeleton encoder takes \(skeletonEncoder.joints) joints, the dataset has \(j)")
        }
        if let d = dataset.skeletonDimensions, d != skeletonEncoder.inChannels {
            p.append("skeleton encoder takes \(skeletonEncoder.inChannels) coordinates, the dataset has \(d)")
        }
        if inertialEncoder.length != preprocessing.length || skeletonEncoder.length != preprocessing.length {
            p.append("encoders expect \(inertialEncoder.length)/\(skeletonEncoder.length) steps, preprocessing resamples to \(preprocessing.length)")
        }
        if !(windowSeconds > 0 && windowSeconds < 600) { p.append("window length \(windowSeconds) s is not usable") }
        return p
    }
}

public enum CMCVersion {
    public static let string = "0.1.0"
}
