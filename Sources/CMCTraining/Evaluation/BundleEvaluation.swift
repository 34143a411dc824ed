import CMCData
import CMCModel
import CMCTensor
import Foundation

/// Scores a model bundle on whole clips of one split, through the same `Recognizer` the daemon uses:
/// the fused classifier, and each modality's fallback classifier alone.
public struct BundleEvaluation: Codable, Sendable {
    public var model: String
    /// The encoders' arithmetic: "float32" or "int8".
    public var precision: String
    /// The classifiers deciding a clip with both modalities (`Recognizer.HeadCombination`).
    public var heads: String
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
    /// Accuracy on partial clips (50 % and 75 % of each clip, taken at its start, middle and end,
    /// both modalities cut at the same relative times): how the model copes with windows that do
    /// not line up with a whole action, as in a live stream.
    public var partial_clip_accuracy: Double?
    public var confusion: [[Int]]
    /// The fused classifier's label per clip, in the split's order.
    public var predictions: [Int]
    /// Labels per partial clip (`partial_clip_accuracy`), in evaluation order.
    public var partial_predictions: [Int]
    public var class_names: [String]
    /// Per clip, each head's class probabilities (`fused`, `inertial`, `skeleton`) and the true labels,
    /// when asked for (`cmc-train evaluate --probabilities`): for studying how the heads combine.
    public var probabilities: HeadProbabilities?
    public var notes: [String]

    public struct HeadProbabilities: Codable, Sendable {
        public var targets: [Int]
        public var fused: [[Float]], inertial: [[Float]], skeleton: [[Float]]
    }

    public static func run(
        bundle: ModelBundle, modelPath: String, dataset: Dataset, split: SubjectSplit,
        part: SplitName, batchSize: Int = 64, precision: InferencePrecision = .float32,
        keepProbabilities: Bool = false, heads: Recognizer.HeadCombination = .default
    ) throws -> BundleEvaluation {
        var recognizer = try Recognizer(bundle: bundle, precision: precision)
        recognizer.heads = heads
        let samples = split.samples(part, from: dataset.samples)
        let classes = bundle.metadata.dataset.classNames
        var notes: [String] = []
        // A stream-trained bundle appends its background classes (idle) to the dataset's.
        let background = bundle.metadata.backgroundClasses ?? []
        if classes != dataset.info.classNames && classes != dataset.info.classNames + background {
            throw ModelBundle.LoadError(
                source: modelPath,
                problems: [
                    "the model's classes (\(classes.count)) differ from the dataset's (\(dataset.info.classNames.count))"
                ])
        }
        if !background.isEmpty {
            notes.append("background classes \(background): a clip called one of them counts as wrong")
        }
        if samples.isEmpty {
            notes.append(
                "the \(part.rawValue) split (subjects \(split.subjects(part))) is empty under this dataset root")
        }
        var byHead = HeadProbabilities(targets: samples.map(\.label), fused: [], inertial: [], skeleton: [])
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let chunk = Array(samples[start..<min(start + batchSize, samples.count)])
            byHead.fused += try recognizer.recognize(batch: chunk.map { ($0.inertial, $0.skeleton) }).map(
                \.probabilities)
            byHead.inertial += try recognizer.recognize(batch: chunk.map { ($0.inertial, nil) }).map(\.probabilities)
            byHead.skeleton += try recognizer.recognize(batch: chunk.map { (nil, $0.skeleton) }).map(\.probabilities)
        }
        func labels(_ p: [[Float]]) -> [Int] { p.map(Recognizer.Recognition.label(of:)) }
        let (fused, onlyI, onlyS) = (labels(byHead.fused), labels(byHead.inertial), labels(byHead.skeleton))
        let targets = samples.map(\.label)
        let m = ClassificationMetrics(predictions: fused, targets: targets, classCount: classes.count)
        var partial: [Int] = []
        var partialCorrect = 0
        var partialTotal = 0
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let chunk = Array(samples[start..<min(start + batchSize, samples.count)])
            for fraction in [0.5, 0.75] {
                for position in [0.0, 0.5, 1.0] {
                    let crops = chunk.map { Self.partialClip($0, fraction: fraction, position: position) }
                    let labels = try recognizer.recognize(batch: crops.map { ($0.inertial, $0.skeleton) }).map(\.label)
                    partial += labels
                    partialCorrect += zip(labels, chunk).filter { $0 == $1.label }.count
                    partialTotal += chunk.count
                }
            }
        }
        return BundleEvaluation(
            model: modelPath, precision: precision.rawValue, heads: heads.rawValue, dataset: dataset.info.name,
            split: part.rawValue,
            subjects: split.subjects(part),
            count: samples.count,
            accuracy: m.accuracy, macro_f1: m.macro_f1, macro_precision: m.macro_precision,
            macro_recall: m.macro_recall,
            inertial_only: samples.isEmpty
                ? nil : ClassificationMetrics(predictions: onlyI, targets: targets, classCount: classes.count),
            skeleton_only: samples.isEmpty
                ? nil : ClassificationMetrics(predictions: onlyS, targets: targets, classCount: classes.count),
            partial_clip_accuracy: partialTotal > 0 ? Double(partialCorrect) / Double(partialTotal) : nil,
            confusion: m.confusion, predictions: fused, partial_predictions: partial, class_names: classes,
            probabilities: keepProbabilities ? byHead : nil, notes: notes)
    }

    /// The part of a clip from relative position `position` of the free room, `fraction` long.
    static func partialClip(_ s: Sample, fraction: Double, position: Double) -> Sample {
        func cut(_ a: DataArray?) -> DataArray? {
            guard let a else { return nil }
            let n = a.shape[1]
            let kept = max(2, Int(Double(n) * fraction))
            return a.slice(axis: 1, start: Int(Double(n - kept) * position), length: min(kept, n))
        }
        var out = s
        out.inertial = cut(s.inertial)
        out.skeleton = cut(s.skeleton)
        return out
    }

    /// Labels that differ from `other`'s, an evaluation of the same clips (e.g. the same model in float32):
    /// whole clips and partial clips.
    public func disagreements(with other: BundleEvaluation) -> (clips: Int, partialClips: Int) {
        (
            zip(predictions, other.predictions).filter { $0 != $1 }.count,
            zip(partial_predictions, other.partial_predictions).filter { $0 != $1 }.count
        )
    }

    public var metrics: ClassificationMetrics {
        var m = ClassificationMetrics(predictions: [], targets: [], classCount: class_names.count)
        m.accuracy = accuracy
        m.macro_f1 = macro_f1
        m.macro_precision = macro_precision
        m.macro_recall = macro_recall
        m.count = count
        m.confusion = confusion
        return m
    }

    public var summary: String {
        var s = String(
            format: "%@ (%@, heads %@) on %@ %@ (subjects %@, %d clips): accuracy %.2f %%, macro-F1 %.2f %%", model,
            precision, heads, dataset, split,
            subjects.map(String.init).joined(separator: ","), count, accuracy * 100, macro_f1 * 100)
        if let i = inertial_only, let k = skeleton_only {
            s += String(
                format: "\n  fallback inertial-only %.2f %%, skeleton-only %.2f %%", i.accuracy * 100, k.accuracy * 100)
        }
        if let p = partial_clip_accuracy {
            s += String(format: "\n  partial clips (50/75 %% at start/middle/end): %.2f %%", p * 100)
        }
        for n in notes { s += "\n  note: \(n)" }
        return s
    }
}
