import CMCCore
import CMCData
import CMCModel
import CMCStream
import CMCTensor
import CMCTraining
import Foundation

/// Retrains a bundle's classifiers for what the daemon classifies: the fused head and both fallback
/// heads, on frozen encoder features of a `StreamWindowSet` (stream windows, whole actions, idle),
/// with `idle` as an extra, background class. The encoders — the CMC-CMKM pre-training — stay as
/// they are; so do the preprocessing and the window length.
public struct StreamHeadTrainer: Sendable {
    /// Fixed length, no validation split: a subject held out for model selection would be tuned on.
    public var schedule: ClassifierSchedule
    public var seed: UInt64

    public init(seed: UInt64 = 0) {
        var s = ClassifierSchedule()
        s.epochs = 20
        s.batchSize = 128
        s.plateauPatience = nil
        schedule = s
        self.seed = seed
    }

    /// Frozen encoder features of labelled examples (rows in order) and how many examples had none.
    public struct Features: Sendable {
        public var inertial: Tensor
        public var skeleton: Tensor
        public var labels: [Int]
        /// Per row: a whole clip (not a stream window).
        public var isClip: [Bool]
        public var dropped: Int

        public static func concatenated(_ parts: [Features]) -> Features {
            Features(inertial: Kernels.concat(parts.map(\.inertial), axis: 0), skeleton: Kernels.concat(parts.map(\.skeleton), axis: 0),
                     labels: parts.flatMap(\.labels), isClip: parts.flatMap(\.isClip), dropped: parts.reduce(0) { $0 + $1.dropped })
        }

        /// The rows that are whole clips: what a clip-trained head learns from.
        public var clipsOnly: Features {
            let rows = isClip.indices.filter { isClip[$0] }
            return Features(inertial: inertial.rows(rows), skeleton: skeleton.rows(rows), labels: rows.map { labels[$0] },
                            isClip: rows.map { _ in true }, dropped: 0)
        }
    }

    /// Frozen features of every example that carries both modalities (the fused head's input), in order.
    public static func features(bundle: ModelBundle, examples: [StreamWindowSet.Example]) -> Features {
        let pre = bundle.metadata.preprocessing
        var inertial: [Tensor] = [], skeleton: [Tensor] = [], labels: [Int] = [], isClip: [Bool] = []
        var dropped = 0
        var batchI: [DataArray] = [], batchS: [DataArray] = [], batchLabels: [Int] = [], batchClips: [Bool] = []
        func flush() {
            guard !batchI.isEmpty else { return }
            GradMode.withoutGrad {
                inertial.append(bundle.inertialEncoder(Variable(Tensor.stacked(batchI))).value)
                skeleton.append(bundle.skeletonEncoder(Variable(Tensor.stacked(batchS))).value)
            }
            labels += batchLabels
            isClip += batchClips
            batchI.removeAll(); batchS.removeAll(); batchLabels.removeAll(); batchClips.removeAll()
        }
        let progress = ProgressReporter("stream-head features", total: examples.count)
        for e in examples {
            progress.advance()
            guard let i = e.inertial, let s = e.skeleton, let pi = try? pre.inertial(i), let ps = try? pre.skeleton(s) else {
                dropped += 1
                continue
            }
            batchI.append(pi); batchS.append(ps); batchLabels.append(e.label); batchClips.append(e.isClip)
            if batchI.count == 256 { flush() }
        }
        flush()
        return Features(inertial: Kernels.concat(inertial, axis: 0), skeleton: Kernels.concat(skeleton, axis: 0), labels: labels,
                        isClip: isClip, dropped: dropped)
    }

    public struct Outcome: Sendable {
        public var bundle: ModelBundle
        public var examples: Int
        public var dropped: Int
        public var fusedTrainAccuracy: Double?
    }

    /// A new bundle: `bundle`'s encoders and metadata, heads trained on `set` (classes = `set.classNames`).
    public func train(bundle: ModelBundle, set: StreamWindowSet) -> Outcome {
        train(bundle: bundle, features: Self.features(bundle: bundle, examples: set.examples), classNames: set.classNames)
    }

    /// A new bundle from precomputed features (`classNames`: the dataset's classes, then `idle`).
    public func train(bundle: ModelBundle, features f: Features, classNames: [String]) -> Outcome {
        let classes = classNames.count
        let hidden = bundle.metadata.classifierHidden
        let splits = FeatureSplits(train: [f.inertial, f.skeleton], val: [], test: [], trainLabels: f.labels, valLabels: [], testLabels: [])
        var rng = SeededRNG(seed: seed)
        let fused = MultiModalClassifier(inertialFeatures: f.inertial.shape[1], skeletonFeatures: f.skeleton.shape[1], hidden: hidden,
                                         classes: classes, rng: &rng)
        let outcome = EvaluationProtocols.frozenClassifier(stage: "stream head (fused)", head: fused, features: splits, classCount: classes,
                                                           schedule: schedule, seed: seed &+ 1) { fused(inertial: $0[0], skeleton: $0[1]) }
        var fallbacks: [UnimodalClassifier] = []
        for (i, name) in ["inertial", "skeleton"].enumerated() {
            var r = SeededRNG(seed: seed &+ 10 &+ UInt64(i))
            let head = UnimodalClassifier(features: splits.train[i].shape[1], hidden: hidden, classes: classes, rng: &r)
            let one = FeatureSplits(train: [splits.train[i]], val: [], test: [], trainLabels: f.labels, valLabels: [], testLabels: [])
            _ = EvaluationProtocols.frozenClassifier(stage: "stream head (\(name) fallback)", head: head, features: one,
                                                     classCount: classes, schedule: schedule, seed: seed &+ 20 &+ UInt64(i)) { head($0[0]) }
            fallbacks.append(head)
        }
        var meta = bundle.metadata
        meta.dataset.classNames = classNames
        meta.backgroundClasses = [LabelEvent.idleLabel]
        meta.method = bundle.metadata.method.hasSuffix("+stream-head") ? bundle.metadata.method : bundle.metadata.method + "+stream-head"
        meta.created = ISO8601DateFormatter().string(from: Date())
        meta.cmcVersion = CMCVersion.string
        let trained = ModelBundle(metadata: meta, inertialEncoder: bundle.inertialEncoder, skeletonEncoder: bundle.skeletonEncoder,
                                  classifier: fused, inertialClassifier: fallbacks[0], skeletonClassifier: fallbacks[1])
        let accuracy = outcome.history.isEmpty ? nil : GradMode.withoutGrad { () -> Double in
            fused.eval()
            let logits = fused(inertial: Variable(f.inertial), skeleton: Variable(f.skeleton)).value
            return ClassificationMetrics(predictions: Kernels.argmax(logits), targets: f.labels, classCount: classes).accuracy
        }
        return Outcome(bundle: trained, examples: f.labels.count, dropped: f.dropped, fusedTrainAccuracy: accuracy)
    }
}
