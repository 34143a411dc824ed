import CMCCore
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
    /// Resample length and skeleton normalisation — the exact preprocessing used in training. Its length
    /// is the one stored copy of the encoders' input length.
    public var preprocessing: Preprocessor
    private var inertialArchitecture: InertialEncoder.Config
    private var skeletonArchitecture: SkeletonEncoder.Config

    /// The encoders' configurations, with the input length of the preprocessing (setting one keeps the
    /// architecture; the length comes from `preprocessing` always).
    public var inertialEncoder: InertialEncoder.Config {
        get {
            var c = inertialArchitecture
            c.length = preprocessing.length
            return c
        }
        set { inertialArchitecture = newValue }
    }
    public var skeletonEncoder: SkeletonEncoder.Config {
        get {
            var c = skeletonArchitecture
            c.length = preprocessing.length
            return c
        }
        set { skeletonArchitecture = newValue }
    }
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
    /// Classes that mean "no action" (e.g. `idle`, learned from the gaps of continuous sessions by
    /// `cmc-train stream-head`); absent in bundles trained on clips alone.
    public var backgroundClasses: [String]?
    /// Temperatures and the unknown threshold fitted on held-out windows (`cmc-train stream-head --calibrate`);
    /// absent: T = 1, the daemon's default threshold.
    public var calibration: Calibration?

    private enum CodingKeys: String, CodingKey {
        case format, version, dataset, preprocessing, classifierHidden, windowSeconds, method, trainingConfig, split
        case validation, created, cmcVersion, backgroundClasses, calibration
        // Bundles written before the length had one home also carry it in these objects; it is ignored
        // there (those bundles were refused at export unless it equalled the preprocessing's).
        case inertialArchitecture = "inertialEncoder", skeletonArchitecture = "skeletonEncoder"
    }

    public init(
        dataset: DatasetInfo, preprocessing: Preprocessor, inertialEncoder: InertialEncoder.Config,
        skeletonEncoder: SkeletonEncoder.Config, classifierHidden: Int, windowSeconds: Double, method: String,
        trainingConfig: String, split: [String: [Int]], validation: [String: Double]
    ) {
        self.dataset = dataset
        self.preprocessing = preprocessing
        self.inertialArchitecture = inertialEncoder
        self.skeletonArchitecture = skeletonEncoder
        self.classifierHidden = classifierHidden
        self.windowSeconds = windowSeconds
        self.method = method
        self.trainingConfig = trainingConfig
        self.split = split
        self.validation = validation
        self.created = ISO8601DateFormatter().string(from: Date())
        self.cmcVersion = CMCVersion.string
    }

    /// Consistency checks between the parts of the metadata; each problem is named.
    public func problems() -> [String] {
        var p: [String] = []
        if format != BundleMetadata.formatName {
            p.append("format is \"\(format)\", expected \"\(BundleMetadata.formatName)\"")
        }
        if version > BundleMetadata.currentVersion {
            p.append("bundle version \(version) is newer than this cmc understands (\(BundleMetadata.currentVersion))")
        }
        if dataset.classNames.isEmpty { p.append("no class names") }
        p += calibration?.problems() ?? []
        for name in backgroundClasses ?? [] where !dataset.classNames.contains(name) {
            p.append("background class \"\(name)\" is not among the class names")
        }
        if inertialEncoder.inChannels != dataset.inertialChannels.count {
            p.append(
                "inertial encoder takes \(inertialEncoder.inChannels) channels, the channel layout lists \(dataset.inertialChannels.count)"
            )
        }
        if let j = dataset.jointCount, j != skeletonEncoder.joints {
            p.append("skeleton encoder takes \(skeletonEncoder.joints) joints, the dataset has \(j)")
        }
        if let d = dataset.skeletonDimensions, d != skeletonEncoder.inChannels {
            p.append("skeleton encoder takes \(skeletonEncoder.inChannels) coordinates, the dataset has \(d)")
        }
        if !(windowSeconds > 0 && windowSeconds <= Limits.maxWindowSeconds) {
            p.append("window length \(windowSeconds) s is not usable")
        }
        return p + architectureProblems()
    }

    /// Bounds on the sizes the loader will build networks from: checked before anything is allocated,
    /// so a hostile or corrupt bundle is refused instead of trapping or exhausting memory (found by
    /// fuzzing: zero heads, negative widths, 2^40-wide layers).
    func architectureProblems() -> [String] {
        var p: [String] = []
        let size = 1...4096
        let i = inertialEncoder
        let s = skeletonEncoder
        if !size.contains(classifierHidden) { p.append("classifierHidden \(classifierHidden) is not in \(size)") }
        if !(1...1024).contains(i.inChannels) { p.append("inertial inChannels \(i.inChannels) is not in 1...1024") }
        if i.channels.isEmpty || i.channels.count > 16 || !i.channels.allSatisfy(size.contains) {
            p.append("inertial channels \(i.channels) must be 1 to 16 sizes in \(size)")
        } else {
            if !(1...64).contains(i.heads) || i.channels.last! % i.heads != 0 {
                p.append("inertial heads \(i.heads) must be in 1...64 and divide \(i.channels.last!)")
            }
            if !(1...64).contains(i.kernel) || !(0...64).contains(i.padding) || !(1...4096).contains(i.length) {
                p.append("inertial kernel \(i.kernel), padding \(i.padding), length \(i.length) out of range")
            } else if i.tokens < 1 {
                p.append("inertial encoder leaves \(i.tokens) time steps after its convolutions")
            }
        }
        if !(0...16).contains(i.layers) || !(1...16384).contains(i.feedForward) {
            p.append("inertial layers \(i.layers) / feedForward \(i.feedForward) out of range")
        }
        if !(i.dropout >= 0 && i.dropout < 1) { p.append("inertial dropout \(i.dropout) is not in [0, 1)") }
        if s.channels.count != 6 || !s.channels.allSatisfy(size.contains) {
            p.append("skeleton channels \(s.channels) must be 6 sizes in \(size)")
        } else if !(1...1024).contains(s.joints) || !(1...16).contains(s.inChannels) || !(3...4096).contains(s.length) {
            p.append("skeleton joints \(s.joints), inChannels \(s.inChannels), length \(s.length) out of range")
        } else if s.outputSize < 1 {
            p.append("skeleton encoder of this size has no output (\(s.length) steps, channels \(s.channels))")
        }
        if p.isEmpty && (i.outputSize > 4_000_000 || s.outputSize > 4_000_000) {
            p.append("encoder outputs \(i.outputSize)/\(s.outputSize) are implausibly large")
        }
        return p
    }
}

public enum CMCVersion {
    public static let string = "0.1.0"
}
