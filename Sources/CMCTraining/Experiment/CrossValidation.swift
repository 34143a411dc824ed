import CMCData
import Foundation

/// Leave-one-subject-out cross-validation: every subject of the configured split's train and validation
/// parts is the validation subject of one fold, trained on the others (the test subjects stay out of
/// every fold). A choice made on the mean over folds rests on every clip at hand instead of one subject.
///
/// Each fold is an ordinary experiment in `out/fold-s<N>/` (resumable: finished stages are skipped,
/// running ones restart from their last epoch); `out/cv-summary.json` and `cv-summary.txt` aggregate
/// the validation scores per stage. Classifiers are chosen by `ModelSelection.lastEpoch` unless asked
/// otherwise: with the paper's best-validation choice a fold's figure is the best of ~100 epochs scored on
/// the held-out subject itself, an optimistic estimate of a subject nobody has seen (the summary keeps
/// that peak beside the honest figure).
public enum CrossValidation {
    /// The folds of `split`: one per subject of train ∪ val, in ascending order.
    public static func folds(of split: SubjectSplit) -> [SubjectSplit] {
        let subjects = Array(Set(split.train + split.val)).sorted()
        return subjects.map { s in
            SubjectSplit(
                name: "\(split.name)-loso-s\(s)", train: subjects.filter { $0 != s }, val: [s], test: split.test)
        }
    }

    /// After cross-validation has made the choices: the split that trains on every subject the folds held
    /// out (train ∪ val), with no validation subject, and the configuration for it. Classifiers keep
    /// their last epoch (nothing is left to choose another), as in the folds, so the shipped model is
    /// trained the way its cross-validated figure was measured.
    public static func allSubjects(_ config: ExperimentConfig) -> ExperimentConfig {
        let split = config.split ?? config.dataset.defaultSplit
        var c = config.selecting(.lastEpoch)
        c.split = SubjectSplit(
            name: "\(split.name)-all", train: Array(Set(split.train + split.val)).sorted(), val: [], test: split.test)
        c.name = "\(config.name)-all"
        return c
    }

    /// Runs every fold (the stages in `only`, or all the configuration lists) and writes the summary.
    ///
    /// `subjects` runs only the folds of those validation subjects, so that folds can run in parallel
    /// processes (or machines) sharing `out`; the summary then also takes in the folds another run has
    /// already recorded there.
    public static func run(
        config: ExperimentConfig, dataRoot: String, out: URL, only: [ExperimentConfig.Stage]? = nil,
        selection: ModelSelection = .lastEpoch, subjects: [Int]? = nil,
        log: @escaping (String) -> Void = ExperimentRunner.standardLog
    ) throws -> Summary {
        let folds = Self.folds(of: config.split ?? config.dataset.defaultSplit)
        if let subjects, let missing = subjects.first(where: { s in !folds.contains { $0.val == [s] } }) {
            throw ConfigError(
                file: config.name, reason: "fold \(missing): not a subject of the split's train and validation parts")
        }
        var results: [Int: ExperimentResults] = [:]
        for (k, fold) in folds.enumerated() {
            let subject = fold.val[0]
            let dir = out.appendingPathComponent("fold-s\(subject)")
            if let subjects, !subjects.contains(subject) {
                if let recorded = ExperimentResults.read(dir.appendingPathComponent("results.json")),
                    recorded.name == "\(config.name)-s\(subject)"
                {
                    log("── fold \(k + 1) of \(folds.count): not run here; its results so far join the summary ──")
                    results[subject] = recorded
                }
                continue
            }
            log("── fold \(k + 1) of \(folds.count): validation subject \(subject), training on \(fold.train) ──")
            var foldConfig = config.selecting(selection)
            foldConfig.split = fold
            foldConfig.name = "\(config.name)-s\(subject)"
            let runner = try ExperimentRunner(config: foldConfig, dataRoot: dataRoot, out: dir, log: log)
            try runner.run(only: only)
            results[subject] = runner.results
        }
        let summary = Summary(results)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: out.appendingPathComponent("cv-summary.json"))
        try summary.table.write(to: out.appendingPathComponent("cv-summary.txt"), atomically: true, encoding: .utf8)
        log(summary.table)
        return summary
    }

    /// Validation scores per stage over the folds.
    public struct Summary: Codable, Sendable, Equatable {
        public struct Stage: Codable, Sendable, Equatable {
            /// Validation accuracy and macro-F1 per fold, by validation subject.
            public var accuracy: [String: Double]
            public var macroF1: [String: Double]
            public var meanAccuracy: Double
            /// Sample standard deviation over the folds (0 with one fold).
            public var stdAccuracy: Double
            public var minAccuracy: Double
            public var meanMacroF1: Double
            /// Mean over the folds of the best validation accuracy of any classifier epoch: what choosing
            /// the epoch on the held-out subject's labels would report (nil when no fold recorded it).
            public var meanPeakAccuracy: Double?
            /// The classifier epoch count with the highest mean validation accuracy over the folds (the
            /// earliest on ties), and that mean: the count a model trained on every subject uses. Chosen on
            /// these folds, so the mean is a little optimistic; nil when a fold recorded no curve.
            public var bestEpochs: Int?
            public var bestEpochsAccuracy: Double?
            /// Clips scored over all folds.
            public var clips: Int
            public var wallSeconds: Double

            enum CodingKeys: String, CodingKey {
                case accuracy, clips
                case macroF1 = "macro_f1", meanAccuracy = "mean_accuracy", stdAccuracy = "std_accuracy", minAccuracy =
                    "min_accuracy"
                case meanMacroF1 = "mean_macro_f1", wallSeconds = "wall_seconds"
                case meanPeakAccuracy = "mean_peak_accuracy"
                case bestEpochs = "best_epochs", bestEpochsAccuracy = "best_epochs_accuracy"
            }

            /// The epoch count (1-based) where the mean of `curves` peaks, and the mean there.
            static func bestEpochs(_ curves: [[Double]]) -> (epochs: Int, accuracy: Double)? {
                guard let length = curves.map(\.count).min(), length > 0 else { return nil }
                var best = (epochs: 0, accuracy: -1.0)
                for e in 0..<length {
                    let mean = curves.map { $0[e] }.reduce(0, +) / Double(curves.count)
                    if mean > best.accuracy { best = (e + 1, mean) }
                }
                return best
            }
        }

        public var folds: [Int]
        public var stages: [String: Stage]

        public init(_ results: [Int: ExperimentResults]) {
            folds = results.keys.sorted()
            var stages: [String: Stage] = [:]
            // A stage that exports a bundle also has a row for the bundle as served (its heads combined).
            var expanded = results
            for (subject, r) in results {
                for (name, stage) in r.stages {
                    guard let served = stage.bundleVal else { continue }
                    var row = StageResult(stage: name + " (bundle)", wallSeconds: 0)
                    row.val = served
                    expanded[subject]!.stages[name + " (bundle)"] = row
                }
            }
            let results = expanded
            let names = Set(results.values.flatMap { $0.stages.keys })
            for name in names {
                var accuracy: [String: Double] = [:]
                var f1: [String: Double] = [:]
                var peaks: [Double?] = []
                var curves: [[Double]?] = []
                var clips = 0
                var wall = 0.0
                for (subject, r) in results {
                    guard let stage = r.stages[name], let val = stage.val else { continue }
                    accuracy["\(subject)"] = val.accuracy
                    peaks.append(stage.peakValAccuracy)
                    curves.append(stage.classifierValCurve)
                    f1["\(subject)"] = val.macro_f1
                    clips += val.count
                    wall += stage.wallSeconds
                }
                guard !accuracy.isEmpty else { continue }
                let values = Array(accuracy.values)
                let n = Double(values.count)
                let mean = values.reduce(0, +) / n
                let best = curves.contains(nil) ? nil : Stage.bestEpochs(curves.compactMap { $0 })
                let std =
                    values.count > 1
                    ? (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot() : 0
                stages[name] = Stage(
                    accuracy: accuracy, macroF1: f1, meanAccuracy: mean, stdAccuracy: std,
                    minAccuracy: values.min() ?? 0,
                    meanMacroF1: f1.values.reduce(0, +) / n,
                    meanPeakAccuracy: peaks.contains(nil) ? nil : peaks.compactMap { $0 }.reduce(0, +) / n,
                    bestEpochs: best?.epochs, bestEpochsAccuracy: best?.accuracy, clips: clips, wallSeconds: wall)
            }
            self.stages = stages
        }

        /// One screen: a row per stage, mean ± spread and the per-subject figures.
        public var table: String {
            func pct(_ x: Double) -> String { String(format: "%.2f", x * 100) }
            var lines = [
                "leave-one-subject-out over subjects \(folds.map(String.init).joined(separator: ", ")) (validation accuracy %;"
                    + " peak: each fold's best epoch, chosen on its held-out labels, optimistic; best epochs: the"
                    + " classifier epoch count best in the mean over folds)",
                "stage".padding(toLength: 22, withPad: " ", startingAt: 0)
                    + "mean ± sd       min     F1     peak   best epochs (mean)  "
                    + folds.map { "s\($0)".padding(toLength: 8, withPad: " ", startingAt: 0) }.joined() + "clips  wall",
            ]
            for name in stages.keys.sorted() {
                let s = stages[name]!
                let perFold = folds.map {
                    (s.accuracy["\($0)"].map(pct) ?? "–").padding(toLength: 8, withPad: " ", startingAt: 0)
                }.joined()
                lines.append(
                    name.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + "\(pct(s.meanAccuracy)) ± \(pct(s.stdAccuracy))".padding(
                            toLength: 16, withPad: " ", startingAt: 0)
                        + pct(s.minAccuracy).padding(toLength: 8, withPad: " ", startingAt: 0)
                        + pct(s.meanMacroF1).padding(toLength: 7, withPad: " ", startingAt: 0)
                        + (s.meanPeakAccuracy.map(pct) ?? "–").padding(toLength: 7, withPad: " ", startingAt: 0)
                        + (s.bestEpochs.map { "\($0) (\(pct(s.bestEpochsAccuracy ?? 0)))" } ?? "–").padding(
                            toLength: 20, withPad: " ", startingAt: 0)
                        + perFold
                        + "\(s.clips)".padding(toLength: 7, withPad: " ", startingAt: 0)
                        + String(format: "%.0f min", s.wallSeconds / 60))
            }
            return lines.joined(separator: "\n")
        }
    }
}
