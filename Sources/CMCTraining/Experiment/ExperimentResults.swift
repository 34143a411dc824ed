import CMCData
import Foundation

/// What one stage produced: the selected classifier's validation and test scores and its cost.
public struct StageResult: Codable, Sendable {
    public var stage: String
    public var wallSeconds: Double
    public var val: ClassificationMetrics?
    public var test: ClassificationMetrics?
    /// Training history of the self-supervised part (per-epoch losses), if any.
    public var pretrainingEpochs: Int?
    public var finalPretrainingLoss: Double?
    public var classifierBestEpoch: Int?
    /// How the classifier's epoch was chosen; nil in results written before the choice existed, which
    /// all used the best validation epoch.
    public var selection: ModelSelection?
    /// The best validation accuracy of any classifier epoch (equal to `val.accuracy` with best-validation
    /// selection; with last-epoch selection, what peeking at the labels would have reported).
    public var peakValAccuracy: Double?
    /// Validation accuracy after each classifier epoch: cross-validation averages these curves over the
    /// folds to choose the epoch count of a model trained on every subject (`CrossValidation.Summary`).
    public var classifierValCurve: [Double]?
    /// The exported bundle scored on the validation subjects as served (`Recognizer.HeadCombination.default`):
    /// stages that export one only.
    public var bundleVal: ClassificationMetrics?
    public var notes: [String] = []

    public init(stage: String, wallSeconds: Double) {
        self.stage = stage
        self.wallSeconds = wallSeconds
    }
}

/// Semi-supervised results: mean and standard deviation over repetitions, per label fraction.
public struct FractionResult: Codable, Sendable {
    public var fraction: Double
    public var trainSamples: Int
    public var valAccuracyMean: Double, valAccuracyStd: Double
    public var valMacroF1Mean: Double
    public var testAccuracyMean: Double?, testAccuracyStd: Double?
    public var testMacroF1Mean: Double?
}

/// Everything an experiment run reports, written to `results.json` after every stage.
public struct ExperimentResults: Codable, Sendable {
    public var name: String
    public var dataset: String
    public var split: SubjectSplit
    public var counts: [String: Int]
    public var stages: [String: StageResult] = [:]
    public var semiSupervised: [String: [FractionResult]] = [:]
    public var retrieval: [String: [String: RetrievalResult]] = [:]
    public var bundle: String?
    public var notes: [String] = []

    public init(name: String, dataset: String, split: SubjectSplit, counts: [String: Int]) {
        self.name = name
        self.dataset = dataset
        self.split = split
        self.counts = counts
    }

    public func write(to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let tmp = url.appendingPathExtension("tmp")
        try enc.encode(self).write(to: tmp)
        guard rename(tmp.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    public static func read(_ url: URL) -> ExperimentResults? {
        guard let d = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(ExperimentResults.self, from: d)
    }
}
