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
    /// Each whole clip counts this many times: a few hundred clips would otherwise drown among
    /// thousands of stream windows, and whole actions are what action events classify.
    public var clipWeight = 1
    /// Start from the bundle's own (clip-trained) heads, the added classes' outputs fresh, instead of
    /// from scratch: what they know of whole clips is kept unless the stream windows argue otherwise.
    public var warmStart: Bool

    /// Fine-tuning (the default): from the bundle's clip-trained heads, Adam at 1e-4 for 5 epochs. Chosen by
    /// leave-one-subject-out over UTD-MHAD 1, 3, 5, 7 (docs/training.md): as good on streams as training from
    /// scratch (window 83.5 vs 83.6 %, event F1 85.8 vs 85.8) while whole clips stay where the clip heads had
    /// them (93.5 vs 93.1 %).
    public init(seed: UInt64 = 0) {
        var s = ClassifierSchedule()
        s.epochs = 5
        s.batchSize = 128
        s.learningRate = 1e-4
        s.plateauPatience = nil
        schedule = s
        self.seed = seed
        warmStart = true
    }

    /// From scratch: Adam at 1e-3 for 20 epochs (how a fold's clip-only heads are trained).
    public static func fromScratch(seed: UInt64 = 0) -> StreamHeadTrainer {
        var t = StreamHeadTrainer(seed: seed)
        t.warmStart = false
        t.schedule.learningRate = 1e-3
        t.schedule.epochs = 20
        return t
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
            Features(
                inertial: Kernels.concat(parts.map(\.inertial), axis: 0),
                skeleton: Kernels.concat(parts.map(\.skeleton), axis: 0),
                labels: parts.flatMap(\.labels), isClip: parts.flatMap(\.isClip),
                dropped: parts.reduce(0) { $0 + $1.dropped })
        }

        /// The rows that are whole clips: what a clip-trained head learns from.
        public var clipsOnly: Features { selecting(isClip.indices.filter { isClip[$0] }) }

        /// Every row, clip rows `clipWeight` times.
        func weightingClips(_ clipWeight: Int) -> Features {
            guard clipWeight > 1 else { return self }
            return selecting(isClip.indices.flatMap { isClip[$0] ? Array(repeating: $0, count: clipWeight) : [$0] })
        }

        func selecting(_ rows: [Int]) -> Features {
            return Features(
                inertial: inertial.rows(rows), skeleton: skeleton.rows(rows), labels: rows.map { labels[$0] },
                isClip: rows.map { isClip[$0] }, dropped: dropped)
        }
    }

    /// Frozen features of every example that carries both modalities (the fused head's input), in order.
    public static func features(bundle: ModelBundle, examples: [StreamWindowSet.Example]) -> Features {
        let pre = bundle.metadata.preprocessing
        var inertial: [Tensor] = []
        var skeleton: [Tensor] = []
        var labels: [Int] = []
        var isClip: [Bool] = []
        var dropped = 0
        var batchI: [DataArray] = []
        var batchS: [DataArray] = []
        var batchLabels: [Int] = []
        var batchClips: [Bool] = []
        func flush() {
            guard !batchI.isEmpty else { return }
            GradMode.withoutGrad {
                inertial.append(bundle.inertialEncoder(Variable(Tensor.stacked(batchI))).value)
                skeleton.append(bundle.skeletonEncoder(Variable(Tensor.stacked(batchS))).value)
            }
            labels += batchLabels
            isClip += batchClips
            batchI.removeAll()
            batchS.removeAll()
            batchLabels.removeAll()
            batchClips.removeAll()
        }
        let progress = ProgressReporter("stream-head features", total: examples.count)
        for e in examples {
            progress.advance()
            guard let i = e.inertial, let s = e.skeleton, let pi = try? pre.inertial(i), let ps = try? pre.skeleton(s)
            else {
                dropped += 1
                continue
            }
            batchI.append(pi)
            batchS.append(ps)
            batchLabels.append(e.label)
            batchClips.append(e.isClip)
            if batchI.count == 256 { flush() }
        }
        flush()
        return Features(
            inertial: Kernels.concat(inertial, axis: 0), skeleton: Kernels.concat(skeleton, axis: 0), labels: labels,
            isClip: isClip, dropped: dropped)
    }

    /// Copies `old`'s weights into `new`; an output layer with more classes keeps the old rows first and
    /// its fresh initialisation for the rows added (the background classes come last).
    static func warmStart(_ new: Module, from old: Module) {
        var state = old.stateDict()
        for (key, fresh) in new.stateDict() {
            guard let o = state[key], o.shape != fresh.shape else { continue }
            let sameRows =
                o.shape.count == fresh.shape.count && Array(o.shape.dropFirst()) == Array(fresh.shape.dropFirst())
            if sameRows, o.shape[0] < fresh.shape[0] {
                state[key] = Tensor(shape: fresh.shape, storage: o.storage + fresh.storage[o.storage.count...])
            } else {
                state[key] = fresh
            }
        }
        do { try new.load(stateDict: state) } catch { trainingLog.warning("warm start skipped: \(error)") }
    }

    public struct Outcome: Sendable {
        public var bundle: ModelBundle
        public var examples: Int
        public var dropped: Int
        public var fusedTrainAccuracy: Double?
    }

    /// A new bundle: `bundle`'s encoders and metadata, heads trained on `set` (classes = `set.classNames`).
    public func train(bundle: ModelBundle, set: StreamWindowSet) throws -> Outcome {
        try train(
            bundle: bundle, features: Self.features(bundle: bundle, examples: set.examples), classNames: set.classNames)
    }

    /// A new bundle from precomputed features (`classNames`: the dataset's classes, then `idle`).
    public func train(bundle: ModelBundle, features: Features, classNames: [String]) throws -> Outcome {
        let f = features.weightingClips(clipWeight)
        let classes = classNames.count
        let hidden = bundle.metadata.classifierHidden
        let splits = FeatureSplits(
            train: [f.inertial, f.skeleton], val: [], test: [], trainLabels: f.labels, valLabels: [], testLabels: [])
        var rng = SeededRNG(seed: seed)
        let fused = MultiModalClassifier(
            inertialFeatures: f.inertial.shape[1], skeletonFeatures: f.skeleton.shape[1], hidden: hidden,
            classes: classes, rng: &rng)
        if warmStart { Self.warmStart(fused, from: bundle.classifier) }
        let outcome = try EvaluationProtocols.frozenFusionClassifier(
            stage: "stream head (fused)", classifier: fused, features: splits, classCount: classes,
            schedule: schedule, seed: seed &+ 1)
        var fallbacks: [UnimodalClassifier] = []
        for (i, name) in ["inertial", "skeleton"].enumerated() {
            var r = SeededRNG(seed: seed &+ 10 &+ UInt64(i))
            let head = UnimodalClassifier(features: splits.train[i].shape[1], hidden: hidden, classes: classes, rng: &r)
            if warmStart { Self.warmStart(head, from: i == 0 ? bundle.inertialClassifier : bundle.skeletonClassifier) }
            let one = FeatureSplits(
                train: [splits.train[i]], val: [], test: [], trainLabels: f.labels, valLabels: [], testLabels: [])
            _ = try EvaluationProtocols.frozenClassifier(
                stage: "stream head (\(name) fallback)", head: head, features: one,
                classCount: classes, schedule: schedule, seed: seed &+ 20 &+ UInt64(i)
            ) { head($0[0]) }
            fallbacks.append(head)
        }
        var meta = bundle.metadata
        meta.dataset.classNames = classNames
        meta.backgroundClasses = [LabelEvent.idleLabel]
        meta.method =
            bundle.metadata.method.hasSuffix("+stream-head")
            ? bundle.metadata.method : bundle.metadata.method + "+stream-head"
        meta.created = ISO8601DateFormatter().string(from: Date())
        meta.cmcVersion = CMCVersion.string
        let trained = ModelBundle(
            metadata: meta, inertialEncoder: bundle.inertialEncoder, skeletonEncoder: bundle.skeletonEncoder,
            classifier: fused, inertialClassifier: fallbacks[0], skeletonClassifier: fallbacks[1])
        let accuracy =
            outcome.history.isEmpty
            ? nil
            : GradMode.withoutGrad { () -> Double in
                fused.eval()
                let logits = fused(inertial: Variable(f.inertial), skeleton: Variable(f.skeleton)).value
                return ClassificationMetrics(
                    predictions: Kernels.argmax(logits), targets: f.labels, classCount: classes
                ).accuracy
            }
        return Outcome(bundle: trained, examples: f.labels.count, dropped: f.dropped, fusedTrainAccuracy: accuracy)
    }
}
