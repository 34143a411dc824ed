import CMCData
import CMCModel
import Foundation

/// Scores a model bundle on whole clips of one split, through the same `Recognizer` the daemon uses:
/// the fused classifier, and each modality's fallback classifier alone.
public struct BundleEvaluation: Codable, Sendable {
    public var model: String
    public var dataset: String
    public var split: String
    public var subjects: [Int]
    public var count: Int
    public var accuracy: Double
    public var macro_f1: Double
    public var macro_precision: Double
    public var macro_recall: Double
    public var inertial_only: ClassificationMetrics?
    public var skeleton_only: ClassificationMetrics?
    public var confusion: [[Int]]
    public var class_names: [String]
    public var notes: [String]

    public static func run(bundle: ModelBundle, modelPath: String, dataset: Dataset, split: SubjectSplit,
                           part: SplitName, batchSize: Int = 64) throws -> BundleEvaluation {
        let recognizer = Recognizer(bundle: bundle)
        let samples = split.samples(part, from: dataset.samples)
        let classes = bundle.metadata.dataset.classNames
        var notes: [String] = []
        if classes != dataset.info.classNames {
            throw ModelBundle.LoadError(source: modelPath, problems: ["the model's classes (\(classes.count)) differ from the dataset's (\(dataset.info.classNames.count))"])
        }
        if samples.isEmpty { notes.append("the \(part.rawValue) split (subjects \(split.subjects(part))) is empty under this dataset root") }
        var fused: [Int] = [], onlyI: [Int] = [], onlyS: [Int] = []
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let chunk = Array(samples[start..<min(start + batchSize, samples.count)])
            fused += try recognizer.recognize(batch: chunk.map { ($0.inertial, $0.skeleton) }).map(\.label)
            onlyI += try recognizer.recognize(batch: chunk.map { ($0.inertial, nil) }).map(\.label)
            onlyS += try recognizer.recognize(batch: chunk.map { (nil, $0.skeleton) }).map(\.label)
        }
        let targets = samples.map(\.label)
        let m = ClassificationMetrics(predictions: fused, targets: targets, classCount: classes.count)
        return BundleEvaluation(
            model: modelPath, dataset: dataset.info.name, split: part.rawValue, subjects: split.subjects(part), count: samples.count,
            accuracy: m.accuracy, macro_f1: m.macro_f1, macro_precision: m.macro_precision, macro_recall: m.macro_recall,
            inertial_only: samples.isEmpty ? nil : ClassificationMetrics(predictions: onlyI, targets: targets, classCount: classes.count),
            skeleton_only: samples.isEmpty ? nil : ClassificationMetrics(predictions: onlyS, targets: targets, classCount: classes.count),
            confusion: m.confusion, class_names: classes, notes: notes)
    }

    public var metrics: ClassificationMetrics {
        var m = ClassificationMetrics(predictions: [], targets: [], classCount: class_names.count)
        m.accuracy = accuracy; m.macro_f1 = macro_f1; m.macro_precision = macro_precision; m.macro_recall = macro_recall
        m.count = count; m.confusion = confusion
        return m
    }

    public var summary: String {
        var s = String(format: "%@ on %@ %@ (subjects %@, %d clips): accuracy %.2f %%, macro-F1 %.2f %%", model, dataset, split,
                       subjects.map(String.init).joined(separator: ","), count, accuracy * 100, macro_f1 * 100)
        if let i = inertial_only, let k = skeleton_only {
            s += String(format: "\n  fallback inertial-only %.2f %%, skeleton-only %.2f %%", i.accuracy * 100, k.accuracy * 100)
        }
        for n in notes { s += "\n  note: \(n)" }
        return s
    }
}
