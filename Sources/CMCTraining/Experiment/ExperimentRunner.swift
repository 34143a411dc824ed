import CMCCore
import CMCData
import CMCModel
import CMCTensor
import Foundation

/// Runs an experiment's stages in order, each resumable: self-supervised stages checkpoint every
/// epoch in the output folder; a stage whose result is already in `results.json` is skipped.
/// Artefacts: `results.json`, `summary.txt`, confusion matrices (CSV + SVG), `model.safetensors`.
public final class ExperimentRunner {
    public let config: ExperimentConfig
    public let out: URL
    public let dataset: Dataset
    public let split: SubjectSplit
    public let train: TrainingSet, val: TrainingSet, test: TrainingSet
    public internal(set) var results: ExperimentResults
    let log: (String) -> Void

    /// Result lines go straight to stdout (unbuffered), so a log file shows them as they happen.
    public static let standardLog: @Sendable (String) -> Void = {
        FileHandle.standardOutput.write(Data(($0 + "\n").utf8))
    }

    public init(
        config: ExperimentConfig, dataRoot: String, out: URL,
        log: @escaping (String) -> Void = ExperimentRunner.standardLog
    ) throws {
        self.config = config
        self.out = out
        self.log = log
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        Runtime.configureAllocatorForTraining()
        BLAS.setThreads(2)
        var sfOptions = SmartFallMM.Options()
        guard let shared = SmartFallMM.SharedInertialPolicy(rawValue: config.sharedInertial) else {
            throw ConfigError(
                file: config.name,
                reason:
                    "field sharedInertial: \(config.sharedInertial) is not one of \(SmartFallMM.SharedInertialPolicy.allCases.map(\.rawValue))"
            )
        }
        sfOptions.sharedInertial = shared
        dataset = try config.dataset.load(root: dataRoot, smartFallMM: sfOptions)
        for p in dataset.problems { trainingLog.warning("\(p.file): \(p.message)") }
        split = config.split ?? config.dataset.defaultSplit
        let pre = Self.preprocessor(config)
        let classes = dataset.info.classCount
        train = TrainingSet(
            name: "train", samples: split.samples(.train, from: dataset.samples), preprocessor: pre, classCount: classes
        )
        val = TrainingSet(
            name: "val", samples: split.samples(.val, from: dataset.samples), preprocessor: pre, classCount: classes)
        test = TrainingSet(
            name: "test", samples: split.samples(.test, from: dataset.samples), preprocessor: pre, classCount: classes)
        let counts = ["train": train.count, "val": val.count, "test": test.count]
        if let previous = ExperimentResults.read(out.appendingPathComponent("results.json")), previous.counts == counts,
            previous.name == config.name
        {
            results = previous
        } else {
            results = ExperimentResults(
                name: config.name, dataset: config.dataset.rawValue, split: split, counts: counts)
        }
        log(
            "\(config.name): \(dataset.info.name) train \(train.count) (subjects \(split.train)), val \(val.count) (\(split.val)), test \(test.count) (\(split.test))"
        )
        if test.isEmpty {
            log("note: no test subjects \(split.test) under this dataset root; test figures are skipped")
        }
        guard !train.isEmpty else { throw TrainingError.emptySplit("train") }
    }

    /// The dataset's preprocessing; its resample length is the encoders' input length (`inertialConfig`).
    static func preprocessor(_ c: ExperimentConfig) -> Preprocessor { c.dataset.preprocessor }

    /// The contrastive augmentations of the configuration (inertial semantics, optional temporal crop).
    var sslAugmentation: AugmentationConfig {
        var a = config.dataset.augmentations
        a.inertial.semantics = config.augmentation.inertialSemantics
        a.temporalCrop = config.augmentation.temporalCrop
        return a
    }

    var inertialConfig: InertialEncoder.Config {
        var c = config.inertialEncoder
        c.inChannels = dataset.info.inertialChannels.count
        c.length = Self.preprocessor(config).length
        return c
    }

    var skeletonConfig: SkeletonEncoder.Config {
        var c = config.skeletonEncoder
        c.inChannels = dataset.info.skeletonDimensions ?? c.inChannels
        c.joints = dataset.info.jointCount ?? c.joints
        c.length = Self.preprocessor(config).length
        return c
    }

    var classCount: Int { dataset.info.classCount }

    func checkpointURL(_ stage: ExperimentConfig.Stage) -> URL {
        out.appendingPathComponent("\(stage.rawValue).ckpt.safetensors")
    }

    func seed(_ stage: ExperimentConfig.Stage) -> UInt64 {
        config.seed &+ UInt64(ExperimentConfig.Stage.allCases.firstIndex(of: stage)! * 1000)
    }

    /// Runs the configured stages (or `only`), skipping those already recorded.
    public func run(only: [ExperimentConfig.Stage]? = nil) throws {
        for stage in only ?? config.stages {
            if let done = results.stages[stage.rawValue], let reason = config.rerunReason(stage, done) {
                // The pre-training checkpoint is kept: only the classifier is trained again.
                log("\(stage.rawValue): \(reason), the classifier is trained again")
                results.stages[stage.rawValue] = nil
            }
            if results.stages[stage.rawValue] != nil || (stage == .semiSupervised && !results.semiSupervised.isEmpty)
                || (stage == .retrieval && !results.retrieval.isEmpty)
            {
                log("\(stage.rawValue): done in an earlier run (results.json), skipped")
                continue
            }
            let t0 = MonotonicClock.seconds
            log("── \(stage.rawValue) ──")
            switch stage {
            case .simclrInertial: try record(runSimCLR(.inertial), t0)
            case .simclrSkeleton: try record(runSimCLR(.skeleton), t0)
            case .cmc: try record(runMultimodal(cmkm: false), t0)
            case .cmkm: try record(runMultimodal(cmkm: true), t0)
            case .supervised: try record(runSupervised(), t0)
            case .supervisedInertial: try record(runSupervised(.inertial), t0)
            case .supervisedSkeleton: try record(runSupervised(.skeleton), t0)
            case .fineTune: try record(runFineTune(), t0)
            case .semiSupervised:
                try runSemiSupervised()
                try save()
            case .retrieval:
                try runRetrieval()
                try save()
            }
        }
        try save()
        let summary = ExperimentSummary.render(results, config: config)
        try summary.write(to: out.appendingPathComponent("summary.txt"), atomically: true, encoding: .utf8)
        log(summary)
    }

    func record(_ r: StageResult, _ t0: Double) throws {
        var r = r
        r.wallSeconds = MonotonicClock.seconds - t0
        results.stages[r.stage] = r
        for (name, m) in [("val", r.val), ("test", r.test)] {
            guard let m else { continue }
            let base = out.appendingPathComponent("confusion-\(r.stage)-\(name)")
            try m.confusionCSV(classNames: dataset.info.classNames).write(
                to: base.appendingPathExtension("csv"), atomically: true, encoding: .utf8)
            try ConfusionMatrixPlot.svg(
                m, classNames: dataset.info.classNames, title: "\(config.name) · \(r.stage) · \(name)"
            )
            .write(to: base.appendingPathExtension("svg"), atomically: true, encoding: .utf8)
        }
        try save()
        log(
            String(
                format: "%@: val accuracy %.2f %%, macro-F1 %.2f %%%@ (%@)", r.stage, (r.val?.accuracy ?? .nan) * 100,
                (r.val?.macro_f1 ?? .nan) * 100,
                r.test.map {
                    String(format: "; test accuracy %.2f %%, macro-F1 %.2f %%", $0.accuracy * 100, $0.macro_f1 * 100)
                } ?? "",
                ProgressReporter.format(r.wallSeconds)))
    }

    func save() throws { try results.write(to: out.appendingPathComponent("results.json")) }
}
