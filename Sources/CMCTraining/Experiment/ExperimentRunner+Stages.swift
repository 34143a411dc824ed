import CMCCore
import CMCData
import CMCModel
import CMCTensor
import Foundation

extension ExperimentRunner {
    func makeEncoder(_ m: Modality, rng: inout SeededRNG) -> FeatureEncoder {
        m == .inertial ? InertialEncoder(inertialConfig, rng: &rng) : SkeletonEncoder(skeletonConfig, rng: &rng)
    }

    /// A SimCLR encoder trained (or restored from its finished checkpoint).
    func simclrEncoder(_ m: Modality) throws -> (FeatureEncoder, [EpochRecord]) {
        let stage: ExperimentConfig.Stage = m == .inertial ? .simclrInertial : .simclrSkeleton
        var rng = SeededRNG(seed: seed(stage))
        let encoder = makeEncoder(m, rng: &rng)
        let head = ProjectionHead(inFeatures: encoder.outputSize, rng: &rng)
        let history = try SSLStages.simclr(
            m, encoder: encoder, head: head, set: train, val: val.isEmpty ? nil : val,
            schedule: m == .inertial ? config.simclrInertial : config.simclrSkeleton,
            augmentation: sslAugmentation, seed: seed(stage), checkpoint: checkpointURL(stage))
        return (encoder, history)
    }

    /// SimCLR pre-training, then the unimodal linear evaluation (Linear(features → classes)).
    func runSimCLR(_ m: Modality) throws -> StageResult {
        let stage: ExperimentConfig.Stage = m == .inertial ? .simclrInertial : .simclrSkeleton
        let (encoder, history) = try simclrEncoder(m)
        let features = FeatureSplits(encoders: [(encoder, m)], train: train, val: val, test: test)
        var rng = SeededRNG(seed: seed(stage) &+ 7)
        let head = Linear(encoder.outputSize, classCount, rng: &rng)
        let outcome = try EvaluationProtocols.frozenClassifier(
            stage: "\(stage.rawValue) linear eval", head: head, features: features,
            classCount: classCount, schedule: config.linearEvaluation,
            seed: seed(stage) &+ 8
        ) { head($0[0]) }
        return result(stage, outcome, history)
    }

    func result(_ stage: ExperimentConfig.Stage, _ o: ClassifierOutcome, _ history: [EpochRecord]?) -> StageResult {
        var r = StageResult(stage: stage.rawValue, wallSeconds: 0)
        r.val = o.val
        r.test = o.test
        r.classifierBestEpoch = o.bestEpoch
        r.selection = config.classifierSchedule(of: stage)?.selection
        r.peakValAccuracy = o.peakValAccuracy
        let curve = o.history.compactMap(\.valAccuracy)
        r.classifierValCurve = curve.isEmpty ? nil : curve
        r.pretrainingEpochs = history?.count
        r.finalPretrainingLoss = history?.last?.trainLoss
        return r
    }

    /// CMC or CMC-CMKM encoders, trained or restored from their finished checkpoint.
    func multimodalEncoders(cmkm: Bool) throws -> (FeatureEncoder, FeatureEncoder, [EpochRecord]) {
        let stage: ExperimentConfig.Stage = cmkm ? .cmkm : .cmc
        var rng = SeededRNG(seed: seed(stage))
        let ei = makeEncoder(.inertial, rng: &rng)
        let es = makeEncoder(.skeleton, rng: &rng)
        let hi = ProjectionHead(inFeatures: ei.outputSize, rng: &rng)
        let hs = ProjectionHead(inFeatures: es.outputSize, rng: &rng)
        var mining: (loss: CMKMLoss, teachers: SSLStages.Teachers)? = nil
        if cmkm {
            log("cmc-cmkm: preparing the frozen SimCLR teachers")
            let (ti, _) = try simclrEncoder(.inertial)
            let (ts, _) = try simclrEncoder(.skeleton)
            var o = config.cmkmLoss
            o.temperature = config.cmkm.temperature
            mining = (CMKMLoss(o), SSLStages.Teachers(inertial: ti, skeleton: ts))
        }
        let history = try SSLStages.multimodal(
            inertial: ei, skeleton: es, inertialHead: hi, skeletonHead: hs, set: train, val: val.isEmpty ? nil : val,
            schedule: cmkm ? config.cmkm : config.cmc, augmentation: sslAugmentation, cmkm: mining,
            seed: seed(stage), checkpoint: checkpointURL(stage))
        return (ei, es, history)
    }

    func fusionClassifier(_ f: FeatureSplits, stage: String, seed s: UInt64) throws -> (
        MultiModalClassifier, ClassifierOutcome
    ) {
        var rng = SeededRNG(seed: s)
        let clf = MultiModalClassifier(
            inertialFeatures: f.train[0].shape[1], skeletonFeatures: f.train[1].shape[1],
            hidden: config.classifierHidden, classes: classCount, rng: &rng)
        let outcome = try EvaluationProtocols.frozenFusionClassifier(
            stage: stage, classifier: clf, features: f, classCount: classCount, schedule: config.classifier,
            seed: s &+ 1)
        return (clf, outcome)
    }

    /// CMC / CMC-CMKM pre-training and the frozen-encoder fusion classifier. After CMC-CMKM the
    /// unimodal fallback classifiers are trained too and the model bundle is exported.
    func runMultimodal(cmkm: Bool) throws -> StageResult {
        let stage: ExperimentConfig.Stage = cmkm ? .cmkm : .cmc
        let (ei, es, history) = try multimodalEncoders(cmkm: cmkm)
        let f = FeatureSplits(
            encoders: [(ei, .inertial), (es, .skeleton)], train: train, val: val, test: test,
            crop: config.augmentation.temporalCrop.map {
                ($0, config.augmentation.classifierCropCopies, seed(stage) &+ 40)
            })
        let (clf, outcome) = try fusionClassifier(f, stage: "\(stage.rawValue) classifier", seed: seed(stage) &+ 11)
        var r = result(stage, outcome, history)
        if cmkm {
            var fallbacks: [UnimodalClassifier] = []
            for (i, m) in Modality.allCases.enumerated() {
                var rng = SeededRNG(seed: seed(stage) &+ 20 &+ UInt64(i))
                let head = UnimodalClassifier(
                    features: f.train[i].shape[1], hidden: config.classifierHidden, classes: classCount, rng: &rng)
                let o = try EvaluationProtocols.frozenClassifier(
                    stage: "\(m.rawValue) fallback classifier", head: head, features: f.selecting([i]),
                    classCount: classCount, schedule: config.classifier, seed: seed(stage) &+ 30
                ) { head($0[0]) }
                r.notes.append(
                    String(
                        format: "%@-only fallback: val accuracy %.2f %%%@", m.rawValue, (o.val?.accuracy ?? .nan) * 100,
                        o.test.map { String(format: ", test %.2f %%", $0.accuracy * 100) } ?? ""))
                fallbacks.append(head)
            }
            let bundleURL = out.appendingPathComponent("model.safetensors")
            try exportBundle(
                inertial: ei, skeleton: es, classifier: clf, fallbacks: fallbacks, outcome: outcome, to: bundleURL)
            results.bundle = bundleURL.path
            r.notes.append("model bundle: \(bundleURL.path)")
            // What serving the bundle scores: its heads as the daemon combines them (the stage's own figure is
            // the fused head alone).
            if !val.samples.isEmpty {
                let recognizer = Recognizer(bundle: try ModelBundle.load(bundleURL))
                let labels = try recognizer.recognize(samples: val.samples).map(\.label)
                let m = ClassificationMetrics(
                    predictions: labels, targets: val.samples.map(\.label), classCount: classCount)
                r.bundleVal = m
                r.notes.append(
                    String(
                        format: "bundle, heads %@: val accuracy %.2f %%", recognizer.heads.rawValue, m.accuracy * 100))
            }
        }
        return r
    }

    /// The supervised multimodal baseline (method.md §5.4): encoders trained from scratch with the head.
    func runSupervised() throws -> StageResult {
        var rng = SeededRNG(seed: seed(.supervised))
        var ic = inertialConfig
        ic.kernel = config.supervisedInertialKernel
        let ei = InertialEncoder(ic, rng: &rng)
        let es = SkeletonEncoder(skeletonConfig, rng: &rng)
        let clf = MultiModalClassifier(
            inertialFeatures: ei.outputSize, skeletonFeatures: es.outputSize,
            hidden: config.classifierHidden, classes: classCount, rng: &rng)
        let aug = AugmentationConfig(
            temporalCrop: .supervisedSkeleton, inertial: .none, skeleton: .supervised(for: config.dataset))
        let o = try endToEndMultimodal(
            stage: .supervised, encoders: (ei, es), classifier: clf, augmentation: aug, schedule: config.supervised)
        return result(.supervised, o, nil)
    }

    /// A supervised unimodal baseline (method.md §5.4): one encoder and Linear(features → classes) trained
    /// from scratch, with the supervised augmentations of §2.3 (the inertial branch has none).
    func runSupervised(_ m: Modality) throws -> StageResult {
        let stage: ExperimentConfig.Stage = m == .inertial ? .supervisedInertial : .supervisedSkeleton
        var rng = SeededRNG(seed: seed(stage))
        let encoder = makeEncoder(m, rng: &rng)
        let head = Linear(encoder.outputSize, classCount, rng: &rng)
        let aug = AugmentationConfig(
            temporalCrop: m == .skeleton ? .supervisedSkeleton : nil, inertial: .none,
            skeleton: m == .skeleton ? .supervised(for: config.dataset) : .none)
        let o = try EvaluationProtocols.endToEnd(
            stage: stage.rawValue, modules: [encoder, head], train: train, val: val, test: test,
            augmentation: aug, schedule: config.supervisedUnimodal, seed: seed(stage) &+ 1
        ) { b, _ in
            [head(encoder(Variable(m == .inertial ? b.inertial : b.skeleton)))]
        }
        return result(stage, o, nil)
    }

    /// End-to-end fine-tuning of the CMC-CMKM encoders with a fusion head initialised by the
    /// frozen-encoder classifier (the paper's code has no fine-tuning).
    func runFineTune() throws -> StageResult {
        let (ei, es, _) = try multimodalEncoders(cmkm: true)
        let f = FeatureSplits(encoders: [(ei, .inertial), (es, .skeleton)], train: train, val: val, test: test)
        let (clf, _) = try fusionClassifier(f, stage: "fine-tune: head warm-up", seed: seed(.fineTune))
        let aug = AugmentationConfig(
            temporalCrop: .supervisedSkeleton, inertial: .none, skeleton: .supervised(for: config.dataset))
        let o = try endToEndMultimodal(
            stage: .fineTune, encoders: (ei, es), classifier: clf, augmentation: aug, schedule: config.fineTune)
        return result(.fineTune, o, nil)
    }

    /// Trains both encoders and the fusion classifier end to end (supervised baseline, fine-tuning), with the
    /// schedule's auxiliary unimodal losses and modality dropout when it sets them.
    func endToEndMultimodal(
        stage: ExperimentConfig.Stage, encoders: (FeatureEncoder, FeatureEncoder), classifier clf: MultiModalClassifier,
        augmentation: AugmentationConfig, schedule: ClassifierSchedule
    ) throws -> ClassifierOutcome {
        let (ei, es) = encoders
        let fusion = BalancedFusion(clf, schedule: schedule, classCount: classCount, auxiliarySeed: seed(stage) &+ 2)
        return try EvaluationProtocols.endToEnd(
            stage: stage.rawValue, modules: [ei, es] + fusion.trainable, train: train, val: val, test: test,
            augmentation: augmentation, schedule: schedule, seed: seed(stage) &+ 1
        ) { b, rng in
            fusion.logits(inertial: ei(Variable(b.inertial)), skeleton: es(Variable(b.skeleton)), rng: &rng)
        }
    }

    /// Frozen-encoder classifiers trained on per-class label fractions, repeated with seeds, for the
    /// CMC-CMKM and (when trained) CMC encoders.
    func runSemiSupervised() throws {
        var methods: [(String, FeatureSplits)] = []
        for cmkm in [true, false] where cmkm || results.stages["cmc"] != nil {
            let (ei, es, _) = try multimodalEncoders(cmkm: cmkm)
            methods.append(
                (
                    cmkm ? "cmc-cmkm" : "cmc",
                    FeatureSplits(encoders: [(ei, .inertial), (es, .skeleton)], train: train, val: val, test: test)
                ))
        }
        for (name, f) in methods {
            var rows: [FractionResult] = []
            for fraction in config.semiSupervised.fractions {
                var va: [Double] = []
                var vf: [Double] = []
                var ta: [Double] = []
                var tf: [Double] = []
                var n = 0
                for rep in 0..<config.semiSupervised.repetitions {
                    var rng = SeededRNG(seed: seed(.semiSupervised) &+ UInt64(rep))
                    let limited = LabelFraction.limit(train.samples, fraction: fraction, rng: &rng)
                    let keep = Set(limited.map(\.id))
                    let positions = train.samples.indices.filter { keep.contains(train.samples[$0].id) }
                    n = positions.count
                    let (_, o) = try fusionClassifier(
                        f.limitingTrain(to: positions),
                        stage: "\(name) \(Int(fraction * 100)) % labels, rep \(rep + 1)",
                        seed: seed(.semiSupervised) &+ 100 &+ UInt64(rep))
                    if let v = o.val {
                        va.append(v.accuracy)
                        vf.append(v.macro_f1)
                    }
                    if let t = o.test {
                        ta.append(t.accuracy)
                        tf.append(t.macro_f1)
                    }
                }
                rows.append(
                    FractionResult(
                        fraction: fraction, trainSamples: n, valAccuracyMean: mean(va), valAccuracyStd: std(va),
                        valMacroF1Mean: mean(vf), testAccuracyMean: ta.isEmpty ? nil : mean(ta),
                        testAccuracyStd: ta.isEmpty ? nil : std(ta), testMacroF1Mean: tf.isEmpty ? nil : mean(tf)))
                log(
                    String(
                        format: "%@ with %g %% of labels (%d samples): val accuracy %.2f ± %.2f %%", name,
                        fraction * 100, n,
                        mean(va) * 100, std(va) * 100))
            }
            results.semiSupervised[name] = rows
        }
    }

    /// Retrieval of test clips (validation clips when no test subjects are present) from the training
    /// gallery, on encoder features of each method and modality.
    func runRetrieval() throws {
        let queries = test.isEmpty ? val : test
        var methods: [(String, FeatureEncoder, FeatureEncoder)] = []
        let (ci, cs, _) = try multimodalEncoders(cmkm: true)
        methods.append(("cmc-cmkm", ci, cs))
        if results.stages["cmc"] != nil {
            let (a, b, _) = try multimodalEncoders(cmkm: false)
            methods.append(("cmc", a, b))
        }
        if results.stages["simclr-inertial"] != nil && results.stages["simclr-skeleton"] != nil {
            methods.append(("simclr", try simclrEncoder(.inertial).0, try simclrEncoder(.skeleton).0))
        }
        for (name, ei, es) in methods {
            let gi = train.features(ei, modality: .inertial)
            let gs = train.features(es, modality: .skeleton)
            let qi = queries.features(ei, modality: .inertial)
            let qs = queries.features(es, modality: .skeleton)
            var r: [String: RetrievalResult] = [:]
            r["inertial"] = RetrievalResult(
                query: qi, queryLabels: queries.labels, gallery: gi, galleryLabels: train.labels, ks: config.retrievalK)
            r["skeleton"] = RetrievalResult(
                query: qs, queryLabels: queries.labels, gallery: gs, galleryLabels: train.labels, ks: config.retrievalK)
            r["fused"] = RetrievalResult(
                query: fusedFeatures([qi, qs]), queryLabels: queries.labels,
                gallery: fusedFeatures([gi, gs]), galleryLabels: train.labels, ks: config.retrievalK)
            results.retrieval[name] = r
            log(
                String(
                    format: "retrieval %@ (%@ queries): mAP inertial %.3f, skeleton %.3f, fused %.3f", name,
                    queries.name,
                    r["inertial"]!.mAP, r["skeleton"]!.mAP, r["fused"]!.mAP))
        }
        results.notes.append("retrieval queries: \(queries.name) split; gallery: train split")
    }
}

func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
func std(_ xs: [Double]) -> Double {
    guard xs.count > 1 else { return 0 }
    let m = mean(xs)
    return (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
}
