import CMCCore
import CMCData
import CMCModel
import Foundation

/// A whole experiment, as a JSON file: the dataset and split, the schedule of every stage, and which
/// stages to run. `configs/utd-mhad.json` reproduces the paper's UTD-MHAD settings.
public struct ExperimentConfig: Codable, Sendable, Equatable {
    public enum Stage: String, Codable, Sendable, CaseIterable {
        case simclrInertial = "simclr-inertial"
        case simclrSkeleton = "simclr-skeleton"
        case cmc
        case cmkm = "cmc-cmkm"
        case supervised
        case fineTune = "fine-tune"
        case semiSupervised = "semi-supervised"
        case retrieval
        // Appended after the others: a stage's seed is derived from its position in this list.
        case supervisedInertial = "supervised-inertial"
        case supervisedSkeleton = "supervised-skeleton"

        /// The order in which summaries list the stages (the paper's table: unimodal rows, then multimodal).
        public static let displayOrder: [Stage] = [
            .simclrInertial, .supervisedInertial, .simclrSkeleton, .supervisedSkeleton, .cmc, .cmkm, .supervised,
            .fineTune, .semiSupervised, .retrieval,
        ]
    }

    public struct SemiSupervised: Codable, Sendable, Equatable {
        public var fractions: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5]
        public var repetitions = 10
        public init() {}
    }

    public struct Augmentation: Codable, Sendable, Equatable {
        /// "asInReference" (default: reproduces the paper's code) or "asNamed".
        public var inertialSemantics: InertialAugmentationSemantics = .asInReference
        /// Random temporal crops/extensions of raw clips before resampling: robustness to windows cut
        /// from a live stream. nil = off (the paper).
        public var temporalCrop: TemporalCrop? = nil
        /// With a temporal crop: how many cropped copies of each training clip the frozen-encoder
        /// classifiers also learn from (so the head, too, sees window-like inputs).
        public var classifierCropCopies = 4
        public init() {}
    }

    public var name: String
    public var dataset: DatasetKind
    /// Subjects per split; nil = the dataset's default (UTD-MHAD: the paper's cross-subject split).
    public var split: SubjectSplit?
    public var seed: UInt64 = 28
    /// SmartFallMM only: what to do with trials whose IMU file is a copy of another trial's
    /// ("keep", "drop-if-labels-differ", "drop"); see docs/data.md.
    public var sharedInertial = "drop-if-labels-differ"
    public var stages: [Stage] = Stage.allCases
    public var augmentation = Augmentation()
    public var inertialEncoder = InertialEncoder.Config()
    public var skeletonEncoder = SkeletonEncoder.Config()
    public var simclrInertial = SSLSchedule(epochs: 300, batchSize: 128, temperature: 0.05)
    public var simclrSkeleton = SSLSchedule(epochs: 300, batchSize: 32, temperature: 0.5)
    public var cmc = SSLSchedule(epochs: 100, batchSize: 64, temperature: 0.1)
    public var cmkm = SSLSchedule(epochs: 100, batchSize: 64, temperature: SSLSchedule.defaultCMKMTemperature)
    public var cmkmLoss = CMKMLoss.Options()
    /// The evaluation classifier on frozen encoders (§5.3).
    public var classifier = ClassifierSchedule()
    /// The unimodal linear evaluation of the SimCLR encoders: no scheduler.
    public var linearEvaluation: ClassifierSchedule = {
        var s = ClassifierSchedule()
        s.plateauPatience = nil
        return s
    }()
    /// Supervised multimodal baseline (§5.4): kernel 3 for its inertial encoder, as the reference ran it.
    public var supervised = ClassifierSchedule()
    public var supervisedInertialKernel = 3
    /// Supervised unimodal baselines (§5.4): encoder → Linear(features → classes) trained from scratch, the
    /// plateau scheduler with patience 10 as the reference's unimodal configs.
    public var supervisedUnimodal: ClassifierSchedule = {
        var s = ClassifierSchedule()
        s.plateauPatience = 10
        return s
    }()
    /// End-to-end fine-tuning of the CMC-CMKM encoders with the fusion head.
    public var fineTune: ClassifierSchedule = {
        var s = ClassifierSchedule()
        s.epochs = 50
        s.learningRate = 1e-4
        return s
    }()
    public var semiSupervised = SemiSupervised()
    public var retrievalK = [1, 5, 10]
    public var classifierHidden = 256
    /// Window the daemon cuts from live streams; nil = the median training clip duration.
    public var windowSeconds: Double? = nil

    public init(name: String, dataset: DatasetKind) {
        self.name = name
        self.dataset = dataset
    }

    /// Reads a configuration file. Fields left out take their defaults (the paper's settings); an
    /// unknown field is an error, so a typo never silently falls back to a default.
    public static func load(_ url: URL) throws -> ExperimentConfig {
        let data: Data
        do { data = try JSONFile.read(url.path) } catch { throw ConfigError(file: error.file, reason: error.reason) }
        return try decode(data, source: url.path, defaultName: url.deletingPathExtension().lastPathComponent)
    }

    public static func decode(_ data: Data, source: String, defaultName: String = "experiment") throws
        -> ExperimentConfig
    {
        var user: [String: Any]
        do { user = try JSONFile.object(data, source: source) } catch {
            throw ConfigError(file: error.file, reason: error.reason)
        }
        guard let ds = user["dataset"] as? String else {
            throw ConfigError(file: source, reason: "missing field dataset")
        }
        // The CMC-CMKM temperature has one home, the stage schedule (`cmkm.temperature`): the loss options'
        // copy is overwritten from it, so a different value there would be silently ignored. (Saved
        // configurations carry the copy, equal to the schedule's: those are fine.)
        if let loss = user["cmkmLoss"] as? [String: Any], let given = loss["temperature"] as? Double {
            let stage =
                ((user["cmkm"] as? [String: Any])?["temperature"] as? Double).map(Float.init)
                ?? SSLSchedule.defaultCMKMTemperature
            if Float(given) != stage {
                throw ConfigError(
                    file: source,
                    reason: "field cmkmLoss.temperature (\(given)) differs from cmkm.temperature (\(stage)): "
                        + "set the CMC-CMKM temperature as cmkm.temperature")
            }
        }
        guard let kind = DatasetKind(rawValue: ds) else {
            throw ConfigError(
                file: source,
                reason:
                    "field dataset: unknown dataset \"\(ds)\" (one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        // The encoders' input length has one home, the dataset's preprocessing. Configurations saved before
        // carry it in the encoder objects: accepted when equal, refused when they would be ignored.
        for encoder in ["inertialEncoder", "skeletonEncoder"] {
            guard var object = user[encoder] as? [String: Any], let given = object["length"] else { continue }
            guard (given as? Int) == kind.preprocessor.length else {
                throw ConfigError(
                    file: source,
                    reason: "field \(encoder).length (\(given)): the input length is the "
                        + "dataset's resample length (\(kind.preprocessor.length)) and cannot be set here")
            }
            object["length"] = nil
            user[encoder] = object
        }
        let defaults = ExperimentConfig(name: user["name"] as? String ?? defaultName, dataset: kind)
        let base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as! [String: Any]
        let merged = try merge(base, user, path: "", source: source)
        do {
            var config = try JSONDecoder().decode(
                ExperimentConfig.self, from: JSONSerialization.data(withJSONObject: merged))
            // the copy follows its home (saved configs stay consistent)
            config.cmkmLoss.temperature = config.cmkm.temperature
            return config
        } catch let e as DecodingError {
            throw ConfigError(file: source, reason: JSONFile.explain(e))
        }
    }

    /// Fields that are absent from the encoded defaults because their default is nil.
    static let optionalFields: Set<String> = [
        "split", "windowSeconds", "augmentation.temporalCrop", "cmkmLoss.negativePruningThreshold",
        "cmkmLoss.lossWeightingScale", "classifier.plateauPatience", "linearEvaluation.plateauPatience",
        "supervised.plateauPatience", "supervisedUnimodal.plateauPatience", "fineTune.plateauPatience",
    ]

    static func merge(_ base: [String: Any], _ user: [String: Any], path: String, source: String) throws -> [String:
        Any]
    {
        var out = base
        for (k, v) in user {
            let p = path.isEmpty ? k : path + "." + k
            if let b = base[k] as? [String: Any], let u = v as? [String: Any] {
                out[k] = try merge(b, u, path: p, source: source)
            } else if base[k] != nil || optionalFields.contains(p) {
                out[k] = v
            } else {
                throw ConfigError(file: source, reason: "unknown field \(p)")
            }
        }
        return out
    }

    public func jsonString() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The configuration scaled down for smoke tests (epochs divided, same structure).
    public func quick(epochDivisor: Int) -> ExperimentConfig {
        var c = self
        for kp in [\ExperimentConfig.simclrInertial, \.simclrSkeleton, \.cmc, \.cmkm]
            as [WritableKeyPath<ExperimentConfig, SSLSchedule>]
        {
            c[keyPath: kp].epochs = max(1, c[keyPath: kp].epochs / epochDivisor)
        }
        for kp in Self.classifierSchedules {
            c[keyPath: kp].epochs = max(1, c[keyPath: kp].epochs / epochDivisor)
        }
        return c
    }

    /// Every classifier schedule of the experiment.
    static var classifierSchedules: [WritableKeyPath<ExperimentConfig, ClassifierSchedule>] {
        [\.classifier, \.linearEvaluation, \.supervised, \.supervisedUnimodal, \.fineTune]
    }

    /// The configuration with every classifier chosen by `selection`.
    public func selecting(_ selection: ModelSelection) -> ExperimentConfig {
        var c = self
        for kp in Self.classifierSchedules { c[keyPath: kp].selection = selection }
        return c
    }

    /// The classifier schedule a stage trains with (none for retrieval).
    public func classifierSchedule(of stage: Stage) -> ClassifierSchedule? {
        switch stage {
        case .simclrInertial, .simclrSkeleton: linearEvaluation
        case .cmc, .cmkm, .semiSupervised: classifier
        case .supervised: supervised
        case .supervisedInertial, .supervisedSkeleton: supervisedUnimodal
        case .fineTune: fineTune
        case .retrieval: nil
        }
    }
}

/// A configuration file that does not decode, with the field it concerns.
public struct ConfigError: Error, CustomStringConvertible {
    public let file: String, reason: String
    public var description: String { "\(file): \(reason)" }
}

extension ExperimentConfig {
    /// Why a recorded stage's classifier must be trained again, if it must: recorded with another selection,
    /// or, under last-epoch selection with validation subjects, without the per-epoch validation curve that
    /// cross-validation chooses the epoch count from.
    public func rerunReason(_ stage: ExperimentConfig.Stage, _ done: StageResult) -> String? {
        guard let wanted = classifierSchedule(of: stage)?.selection else { return nil }
        let recorded = done.selection ?? .bestValidation
        if recorded != wanted { return "recorded with \(recorded.rawValue) selection, wanted \(wanted.rawValue)" }
        if wanted == .lastEpoch && done.val != nil && done.classifierValCurve == nil {
            return "recorded without its validation curve"
        }
        return nil
    }
}
