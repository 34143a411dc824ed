import CMCCore
import CMCData
import CMCDaemon
import CMCHarness
import CMCModel
import CMCStream
import CMCTensor
import Foundation

/// Trains stream heads on some subjects and scores them on others as `cmcd` would serve them
/// (offline simulation of continuous sessions), alone or leave-one-subject-out.
public struct StreamHeadExperiment: Sendable {
    public var trainer = StreamHeadTrainer()
    /// How a fold's clip-only heads are trained (the baseline, and the start of a warm-started trainer):
    /// from scratch, as the experiment's classifier stage trains the bundle's heads.
    public var clipTrainer = StreamHeadTrainer.fromScratch()
    public var variants = StreamWindowSet.Variant.standard(seed: 0)
    /// Also train on the subjects' whole clips.
    public var includeClips = true
    /// How evaluation sessions are laid out: `cmc-replay`'s defaults with four lanes per subject.
    public var evaluationSession: SessionOptions = {
        var s = SessionOptions()
        s.lanes = 4
        return s
    }()
    public var config = PipelineConfig.defaults
    /// When set, every fold also fits a calibration on its held-out subject's windows (`Calibrator`) and is
    /// scored again with the calibration the *other* folds fit — what a calibrated model meets on a subject
    /// nobody fitted on. The value is the target share of idle windows published as an action.
    public var idleFalseLabelTarget: Double?
    /// Classes whose detection is also scored on their own (`FocusScores`; SmartFallMM: the falls).
    public var focusClasses: [String] = []
    /// The heads that decide a window with both modalities when the folds are scored.
    public var heads = Recognizer.HeadCombination.default

    public init() {}

    public struct Fold: Codable, Sendable {
        public var trainSubjects: [Int]
        public var evaluationSubjects: [Int]
        public var examples: Int
        public var classCounts: [String: Int]
        public var fusedTrainAccuracy: Double?
        /// The stream scores of the retrained bundle and, for comparison, of the bundle it started from
        /// (`--evaluate`) or of heads trained the same way on the same subjects' whole clips only (`--loso`).
        public var stream: StreamScores?
        public var baseline: StreamScores?
        public var baselineKind: String?
        public var clipWeight = 1
        /// With `idleFalseLabelTarget`: what this fold's held-out windows say of its heads, and the scores
        /// with the other folds' calibration applied.
        public var calibrationFit: CalibrationFit?
        public var appliedCalibration: Calibration?
        public var calibrated: StreamScores?
        /// The held-out windows' logits (for pooling into a calibration; not written).
        public var heldOut: Calibrator.HeldOut?

        enum CodingKeys: String, CodingKey {
            case trainSubjects = "train_subjects", evaluationSubjects = "evaluation_subjects", examples
            case classCounts = "class_counts", fusedTrainAccuracy = "fused_train_accuracy", stream, baseline
            case baselineKind = "baseline_kind", clipWeight = "clip_weight", calibrationFit = "calibration_fit"
            case appliedCalibration = "applied_calibration", calibrated
        }
    }

    /// Per head: the NLL-optimal temperature on the held-out windows, and NLL and expected calibration error
    /// before (T = 1) and after.
    public struct CalibrationFit: Codable, Sendable {
        public var temperature: [String: Double]
        public var nll: [String: Double]
        public var nllCalibrated: [String: Double]
        public var ece: [String: Double]
        public var eceCalibrated: [String: Double]

        init(_ heldOut: Calibrator.HeldOut) {
            temperature = [:]
            nll = [:]
            nllCalibrated = [:]
            ece = [:]
            eceCalibrated = [:]
            for (head, logits) in heldOut.logits {
                let t = Calibrator.temperature(logits: logits, labels: heldOut.labels)
                temperature[head.rawValue] = t
                nll[head.rawValue] = Calibrator.nll(logits: logits, labels: heldOut.labels, temperature: 1)
                nllCalibrated[head.rawValue] = Calibrator.nll(logits: logits, labels: heldOut.labels, temperature: t)
                ece[head.rawValue] = Calibrator.expectedCalibrationError(
                    logits: logits, labels: heldOut.labels, temperature: 1)
                eceCalibrated[head.rawValue] = Calibrator.expectedCalibrationError(
                    logits: logits, labels: heldOut.labels,
                    temperature: t)
            }
        }

        enum CodingKeys: String, CodingKey {
            case temperature, nll, nllCalibrated = "nll_calibrated", ece, eceCalibrated = "ece_calibrated"
        }
    }

    /// One calibration from held-out windows of several folds, pooled: per head the temperature that fits
    /// them all, and the unknown threshold for `target` on what `heads` serves a window with both modalities
    /// (for `fused+skeleton` the geometric mean of the two calibrated heads, as `Recognizer` computes it).
    public static func calibration(
        pooling heldOut: [Calibrator.HeldOut], target: Double, idleIndex: Int,
        method: String, heads: Recognizer.HeadCombination = .default
    ) -> Calibration {
        let labels = heldOut.flatMap(\.labels)
        var temperatures: [String: Double] = [:]
        var pooled: [Recognizer.Modalities: Tensor] = [:]
        for head in [Recognizer.Modalities.both, .inertial, .skeleton] {
            let parts = heldOut.compactMap { $0.logits[head] }
            guard parts.count == heldOut.count, !parts.isEmpty else { continue }
            let logits = Kernels.concat(parts, axis: 0)
            temperatures[head.rawValue] = Calibrator.temperature(logits: logits, labels: labels)
            pooled[head] = logits
        }
        let threshold = pooled[.both].map { fused in
            let served = Recognizer.bothLogits(
                fused: fused, skeleton: pooled[.skeleton], heads: heads,
                temperature: { temperatures[$0.rawValue] ?? 1 })
            return Calibrator.unknownThreshold(
                logits: served, labels: labels, idle: idleIndex, temperature: 1, target: target)
        }
        return Calibration(
            temperatures: temperatures, unknownThreshold: threshold,
            method: method + ", threshold for heads \(heads.rawValue)")
    }

    /// The labelled windows and clips of `samples`, through `bundle`'s frozen encoders. Per subject, so
    /// leave-one-subject-out folds reuse them (a subject's sessions do not depend on the others).
    public func features(bundle: ModelBundle, samples: [Sample], info: DatasetInfo) throws -> [Int: StreamHeadTrainer
        .Features]
    {
        let classifier = try BundleClassifier(bundle: bundle)
        var out: [Int: StreamHeadTrainer.Features] = [:]
        for subject in Array(Set(samples.map(\.subject))).sorted() {
            let mine = samples.filter { $0.subject == subject }
            var set = StreamWindowSet(classNames: info.classNames)
            set.collect(samples: mine, info: info, classifier: classifier, config: config, variants: variants)
            if includeClips { set.addClips(mine) }
            out[subject] = StreamHeadTrainer.features(bundle: bundle, examples: set.examples)
        }
        return out
    }

    /// Retrains `bundle`'s heads on the features of the given subjects (`clipsOnly`: their whole clips alone,
    /// as the clip-trained classifiers learn — the fair baseline of a fold).
    public func train(
        bundle: ModelBundle, features: [Int: StreamHeadTrainer.Features], subjects: [Int], info: DatasetInfo,
        clipsOnly: Bool = false
    ) throws -> (ModelBundle, Fold) {
        let classNames = info.classNames + [LabelEvent.idleLabel]
        var f = StreamHeadTrainer.Features.concatenated(subjects.sorted().compactMap { features[$0] })
        if clipsOnly { f = f.clipsOnly }
        let trainer = clipsOnly ? clipTrainer : self.trainer
        let outcome = try trainer.train(bundle: bundle, features: f, classNames: classNames)
        var counts: [String: Int] = [:]
        for label in f.labels where classNames.indices.contains(label) { counts[classNames[label], default: 0] += 1 }
        var fold = Fold(
            trainSubjects: subjects.sorted(), evaluationSubjects: [], examples: outcome.examples,
            classCounts: counts, fusedTrainAccuracy: outcome.fusedTrainAccuracy)
        fold.clipWeight = trainer.clipWeight
        return (outcome.bundle, fold)
    }

    /// Retrains `bundle`'s heads on the clips of `samples` (their sessions and the clips themselves).
    public func train(bundle: ModelBundle, samples: [Sample], info: DatasetInfo) throws -> (ModelBundle, Fold) {
        let f = try features(bundle: bundle, samples: samples, info: info)
        return try train(bundle: bundle, features: f, subjects: Array(f.keys), info: info)
    }

    /// Stream scores of `bundle` on continuous sessions of `samples`, as `cmc-replay --offline` measures them.
    public func evaluate(bundle: ModelBundle, samples: [Sample], info: DatasetInfo) throws -> StreamScores {
        let scripts = SessionBuilder.scripts(samples: samples, info: info, options: evaluationSession)
        return try StreamSimulation(config: config).evaluate(
            scripts: scripts, samples: samples,
            classifier: try BundleClassifier(bundle: bundle, heads: heads), focus: focusClasses
        ).scores
    }

    /// Each subject in turn is scored by heads trained on all the others (the encoders stay `bundle`'s).
    /// - Parameter features: per-subject features from `features(bundle:samples:info:)`, to compare
    ///   trainer settings on the same windows; computed here if nil.
    public func leaveOneSubjectOut(
        bundle: ModelBundle, samples: [Sample], info: DatasetInfo,
        features precomputed: [Int: StreamHeadTrainer.Features]? = nil,
        log: (String) -> Void = { _ in }
    ) throws -> [Fold] {
        var folds: [Fold] = []
        var trainedBundles: [Int: ModelBundle] = [:]
        if precomputed == nil { log("features of every subject's windows and clips") }
        let features = try precomputed ?? features(bundle: bundle, samples: samples, info: info)
        for subject in features.keys.sorted() {
            log("fold: subject \(subject) held out")
            let held = samples.filter { $0.subject == subject }
            let others = features.keys.filter { $0 != subject }
            let (clipHeads, _) = try train(
                bundle: bundle, features: features, subjects: others, info: info, clipsOnly: true)
            // A warm start begins from this fold's clip heads, never from the bundle's (trained on every subject at
            // hand).
            var (trained, fold) = try train(
                bundle: trainer.warmStart ? clipHeads : bundle, features: features, subjects: others, info: info)
            fold.evaluationSubjects = [subject]
            fold.stream = try evaluate(bundle: trained, samples: held, info: info)
            fold.baseline = try evaluate(bundle: clipHeads, samples: held, info: info)
            fold.baselineKind = "heads trained on the same subjects' whole clips only"
            if idleFalseLabelTarget != nil, let windows = features[subject] {
                fold.heldOut = Calibrator.heldOut(bundle: trained, features: windows)
                fold.calibrationFit = fold.heldOut.map(CalibrationFit.init)
                trainedBundles[subject] = trained
            }
            log(Self.line(fold))
            folds.append(fold)
        }
        if let target = idleFalseLabelTarget {
            let idle = info.classNames.count // the background class follows the dataset's classes
            for k in folds.indices {
                let subject = folds[k].evaluationSubjects[0]
                let others = folds.indices.filter { $0 != k }.compactMap { folds[$0].heldOut }
                guard let trained = trainedBundles[subject], !others.isEmpty else { continue }
                let applied = Self.calibration(
                    pooling: others, target: target, idleIndex: idle,
                    method: "held-out windows of the other folds")
                var meta = trained.metadata
                meta.calibration = applied
                folds[k].appliedCalibration = applied
                folds[k].calibrated = try evaluate(
                    bundle: trained.replacingMetadata(meta),
                    samples: samples.filter { $0.subject == subject }, info: info)
                log("fold \(subject) calibrated: " + Self.line(folds[k], scores: folds[k].calibrated))
            }
        }
        return folds
    }

    /// One line per fold: the retrained heads against the bundle they started from.
    public static func line(_ f: Fold, scores: StreamScores? = nil) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%5.1f", $0 * 100) } ?? "  n/a" }
        let s = scores ?? f.stream
        let b = f.baseline
        return "subjects \(f.evaluationSubjects.map(String.init).joined(separator: ",")) (trained on "
            + "\(f.trainSubjects.map(String.init).joined(separator: ","))): "
            + "window \(pct(s?.windowAccuracy)) % (was \(pct(b?.windowAccuracy))), "
            + "event F1 \(pct(s?.eventF1)) (was \(pct(b?.eventF1))), idle false/min "
            + String(format: "%.2f (was %.2f)", s?.idleFalseEventsPerMin ?? .nan, b?.idleFalseEventsPerMin ?? .nan)
            + ", latency p99 " + String(format: "%.0f", s?.eventLatencyMs.p99 ?? .nan) + " ms"
            + ", clips \(pct(s?.clipAccuracy)) (was \(pct(b?.clipAccuracy)))"
    }
}
