import ArgumentParser
import CMCCommandLine
import CMCData
import CMCHarness
import CMCModel
import CMCStream
import CMCStreamTraining
import Foundation

struct StreamHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream-head",
        abstract:
            "Retrain a bundle's classifiers on what cmcd classifies: stream windows, whole actions and an idle class.",
        discussion: """
            Training clips of --subjects are laid out as continuous sessions (seeded orders, 0.5–3 s idle
            gaps with resting or noisy sensors) and cut into windows by cmcd's own assembler and
            segmenter (offline, on a virtual clock). The fused and fallback heads are retrained on the
            frozen encoders' features of those windows and of the whole clips, with "idle" as a
            background class: fine-tuned from the bundle's own heads by default (--from-scratch for new
            ones). Encoders, preprocessing and window length stay the bundle's.

            Examples:
              cmc-train stream-head --subjects 1,3,5 --out models/utd-mhad-cmkm-stream.safetensors --evaluate 7
              cmc-train stream-head --subjects 1,3,5,7 --loso --json runs/stream-head-loso.json
            """)

    @Option(help: "Bundle whose encoders are kept.") var model = "models/utd-mhad-cmkm.safetensors"
    @Option(help: "Dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).") var dataset = "utd-mhad"
    @Option(help: "Dataset root. Defaults to $\(DataRoot.environmentVariable), else ../shared/data.") var root: String?
    @Option(
        help: ArgumentHelp(
            "SmartFallMM: trials whose IMU file is another trial's copy: \(SmartFallMM.SharedInertialPolicy.allCases.map(\.rawValue).joined(separator: ", ")).",
            discussion:
                "Default as configs/smartfallmm.json trains its encoders: copies spanning several activities carry the wrong IMU for most of them."
        ))
    var sharedImu = SmartFallMM.SharedInertialPolicy.dropIfLabelsDiffer
    @Option(help: "Subjects whose clips train the heads, e.g. 1,3,5 (default: the bundle's training split).")
    var subjects: SubjectList?
    @Option(help: "Also score the result on these subjects' sessions, offline, e.g. 7.") var evaluate: SubjectList?
    @Flag(help: "Leave-one-subject-out over --subjects: report each held-out subject; writes no bundle.") var loso =
        false
    @Option(help: "Where to write the retrained bundle (float16).") var out: String?
    @Option(help: "Epochs per head (default: 5 fine-tuning, 20 from scratch).") var epochs: Int?
    @Option(
        help:
            "How many times each whole clip counts among the stream windows (with --loso, a list compares several: 1,5)."
    )
    var clipWeight = "1"
    @Flag(help: "Train new heads from scratch instead of fine-tuning the bundle's own (clip-trained) heads.")
    var fromScratch = false
    @Option(help: "Adam learning rate of the heads (default: 1e-4 fine-tuning, 1e-3 from scratch).") var learningRate:
        Float?
    @Option(help: "Seed of the sessions and the heads.") var seed: UInt64 = 0
    @Option(
        help:
            "Fused heads (clip and stream): probability that a training example has one modality zeroed at the fusion."
    )
    var modalityDropout: Float = 0
    @Option(help: "Fused heads (clip and stream): weight of each branch's own cross-entropy, through a linear head.")
    var unimodalLossWeight: Float = 0
    @Option(
        help:
            "Heads scoring --evaluate and --loso: fused (the multimodal head alone) or fused+skeleton (as cmcd serves)."
    )
    var heads = Recognizer.HeadCombination.default
    @Flag(
        help: """
            Calibrate: fit softmax temperatures and the unknown threshold on held-out windows, leave-one-subject-out over \
            --subjects. With --loso each fold is also scored with the other folds' calibration; with --out the bundle \
            carries the calibration pooled over all folds.
            """) var calibrate = false
    @Option(help: "With --calibrate: the share of idle windows the unknown threshold may let through as an action.")
    var idleFalseLabelRate = 0.05
    @Option(help: "Write the folds (stream scores, class counts) as JSON here.") var json: String?
    @Option(
        help:
            "Classes whose detection is also scored on its own, comma-separated, or none (default: the dataset's; SmartFallMM: its falls)."
    )
    var focusClasses: String?

    func run() throws {
        guard let kind = DatasetKind(rawValue: dataset) else { throw ValidationError("unknown dataset \(dataset)") }
        guard let root = DataRoot.resolve(explicit: root) else {
            throw ValidationError("no dataset root: pass --root or set \(DataRoot.environmentVariable)")
        }
        guard loso || out != nil || evaluate != nil else {
            throw ValidationError("nothing to do: pass --out, --evaluate or --loso")
        }
        let bundle = try ModelBundle.load(URL(fileURLWithPath: model))
        var options = SmartFallMM.Options()
        options.sharedInertial = sharedImu
        let data = try kind.load(root: root, smartFallMM: options)
        func parse(_ list: SubjectList) -> [Int] { list.ids.map(Int.init) }
        let trainIDs = subjects.map(parse) ?? bundle.metadata.split["train"] ?? kind.defaultSplit.train
        var experiment = StreamHeadExperiment()
        do { experiment.focusClasses = try FocusScores.classes(focusClasses, info: data.info) } catch {
            throw ValidationError("--focus-classes: \(error)")
        }
        experiment.trainer = fromScratch ? .fromScratch(seed: seed) : StreamHeadTrainer(seed: seed)
        experiment.heads = heads
        if let epochs { experiment.trainer.schedule.epochs = epochs }
        if let learningRate { experiment.trainer.schedule.learningRate = learningRate }
        guard (0...1).contains(modalityDropout), unimodalLossWeight >= 0, unimodalLossWeight.isFinite else {
            throw ValidationError("--modality-dropout must lie in [0, 1], --unimodal-loss-weight must be ≥ 0")
        }
        for trainer in [\StreamHeadExperiment.trainer, \.clipTrainer] {
            experiment[keyPath: trainer].schedule.modalityDropout = modalityDropout
            experiment[keyPath: trainer].schedule.unimodalLossWeight = unimodalLossWeight
        }
        let weights = clipWeight.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map {
            max(1, $0)
        }
        guard !weights.isEmpty, loso || weights.count == 1 else {
            throw ValidationError("--clip-weight: one number, or a list with --loso")
        }
        experiment.trainer.clipWeight = weights[0]
        experiment.variants = StreamWindowSet.Variant.standard(seed: seed)
        if calibrate { experiment.idleFalseLabelTarget = idleFalseLabelRate }
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        var folds: [StreamHeadExperiment.Fold] = []
        if loso {
            let samples = data.samples.filter { trainIDs.contains($0.subject) }
            log("features of every subject's windows and clips")
            let features = try experiment.features(bundle: bundle, samples: samples, info: data.info)
            for weight in weights {
                if weights.count > 1 { log("clip weight \(weight)") }
                experiment.trainer.clipWeight = weight
                folds += try experiment.leaveOneSubjectOut(
                    bundle: bundle, samples: samples, info: data.info, features: features, log: log)
            }
        } else {
            log("training stream heads on subjects \(trainIDs.map(String.init).joined(separator: ","))")
            let samples = data.samples.filter { trainIDs.contains($0.subject) }
            let features = try experiment.features(bundle: bundle, samples: samples, info: data.info)
            var (trained, fold) = try experiment.train(
                bundle: bundle, features: features, subjects: Array(features.keys), info: data.info)
            if calibrate {
                log("calibration: leave-one-subject-out over \(trainIDs.map(String.init).joined(separator: ","))")
                let calibrationFolds = try experiment.leaveOneSubjectOut(
                    bundle: bundle, samples: samples, info: data.info,
                    features: features, log: log)
                let pooled = StreamHeadExperiment.calibration(
                    pooling: calibrationFolds.compactMap(\.heldOut), target: idleFalseLabelRate,
                    idleIndex: data.info.classNames.count,
                    method: "leave-one-subject-out over subjects \(trainIDs.map(String.init).joined(separator: ",")), "
                        + "idle false-label target \(idleFalseLabelRate)")
                var meta = trained.metadata
                meta.calibration = pooled
                trained = trained.replacingMetadata(meta)
                fold.appliedCalibration = pooled
                log(
                    "calibration: temperatures \(pooled.temperatures), unknown threshold \(pooled.unknownThreshold ?? .nan)"
                )
            }
            if let evaluate {
                let ids = parse(evaluate)
                let held = data.samples.filter { ids.contains($0.subject) }
                fold.evaluationSubjects = ids
                fold.stream = try experiment.evaluate(bundle: trained, samples: held, info: data.info)
                fold.baseline = try experiment.evaluate(bundle: bundle, samples: held, info: data.info)
                fold.baselineKind = "the bundle it started from (\(model))"
            }
            if let out {
                // The bundle's validation scores describe these heads now: what --evaluate measured, or nothing.
                var meta = trained.metadata
                meta.validation = [:]
                if let s = fold.stream {
                    meta.validation["accuracy"] = s.clipAccuracy
                    meta.validation["stream_window_accuracy"] = s.windowAccuracy
                    meta.validation["stream_event_f1"] = s.eventF1
                    meta.split["val"] = fold.evaluationSubjects
                }
                meta.split["train"] = trainIDs
                try trained.replacingMetadata(meta).save(to: URL(fileURLWithPath: out), dtype: .f16)
                let written = try ModelBundle.load(URL(fileURLWithPath: out))
                log("wrote \(out): \(written.metadata.dataset.classNames.count) classes (background: idle)")
            }
            folds = [fold]
        }
        print("── cmc-train stream-head " + String(repeating: "─", count: 47))
        for fold in folds {
            print(
                fold.stream == nil
                    ? "trained on \(fold.trainSubjects), \(fold.examples) examples" : StreamHeadExperiment.line(fold))
        }
        let perSetting = folds.count / weights.count
        for (k, weight) in weights.enumerated() where perSetting > 1 {
            let mine = Array(folds[k * perSetting..<(k + 1) * perSetting])
            func mean(_ key: KeyPath<StreamHeadExperiment.Fold, Double?>) -> String {
                let xs = mine.compactMap { $0[keyPath: key] }
                return xs.isEmpty ? "n/a" : String(format: "%.1f", xs.reduce(0, +) / Double(xs.count) * 100)
            }
            print(
                "clip weight \(weight), mean over \(mine.count) folds: window \(mean(\.stream?.windowAccuracy)) % "
                    + "(was \(mean(\.baseline?.windowAccuracy))), event F1 \(mean(\.stream?.eventF1)) (was \(mean(\.baseline?.eventF1))), "
                    + "clips \(mean(\.stream?.clipAccuracy)) (was \(mean(\.baseline?.clipAccuracy)))")
        }
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(folds).write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }
}
