import ArgumentParser
import CMCCommandLine
import CMCData
import CMCModel
import CMCTensor
import CMCTraining
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model bundle on whole clips of a dataset split (fused and fallback classifiers).")

    @Option(help: "Model bundle (.safetensors).") var model = "models/utd-mhad-cmkm.safetensors"
    @Option(help: "Dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).") var dataset = "utd-mhad"
    @Option(help: "Dataset root. Defaults to $\(DataRoot.environmentVariable), else ../shared/data.") var root: String?
    @Option(help: "train, val or test.") var split = "test"
    @Option(help: "Write the results as JSON here.") var json: String?
    @Option(help: "Write the confusion matrix (CSV and SVG) into this folder.") var out: String?
    @OptionGroup var inference: InferenceArguments
    @Flag(help: "With --json: every clip's probabilities from each head (fused, inertial-only, skeleton-only).")
    var probabilities = false

    func run() throws {
        guard let kind = DatasetKind(rawValue: dataset) else { throw ValidationError("unknown dataset \(dataset)") }
        guard let part = SplitName(rawValue: split) else { throw ValidationError("--split must be train, val or test") }
        guard let root = DataRoot.resolve(explicit: root) else {
            throw ValidationError("no dataset root: pass --root or set \(DataRoot.environmentVariable)")
        }
        let data = try kind.load(root: root)
        let url = URL(fileURLWithPath: model)
        let bundle = try ModelBundle.load(url)
        let own = SubjectSplit(
            name: "bundle", train: bundle.metadata.split["train"] ?? kind.defaultSplit.train,
            val: bundle.metadata.split["val"] ?? kind.defaultSplit.val,
            test: bundle.metadata.split["test"] ?? kind.defaultSplit.test)
        let splitDef = own.scoring(part, fallback: kind.defaultSplit)
        let subjects = splitDef.subjects(part)
        let seen = subjects.filter { own.train.contains($0) }
        if part != .train, !seen.isEmpty {
            FileHandle.standardError.write(
                Data(
                    ("warning: the bundle has no \(split) subjects of its own; scoring the dataset's \(split) subjects "
                        + "\(subjects), of which \(seen) trained it: not a held-out figure\n").utf8))
        }
        guard data.samples.contains(where: { subjects.contains($0.subject) }) else {
            throw ValidationError(
                "no clips to score: the \(split) subjects are \(subjects) and \(root) holds none of them")
        }
        func evaluate(_ bundle: ModelBundle, _ precision: InferencePrecision) throws -> BundleEvaluation {
            try BundleEvaluation.run(
                bundle: bundle, modelPath: model, dataset: data, split: splitDef, part: part, precision: precision,
                keepProbabilities: probabilities, heads: inference.heads)
        }
        // The report (and JSON) is in the precision asked for; float32 is scored besides, to compare.
        let report = try evaluate(bundle, inference.precision)
        print(report.summary)
        if inference.precision != .float32 {
            // A fresh copy: int8 quantised the first one's layers in place.
            let reference = try evaluate(try ModelBundle.load(url), .float32)
            let changed = report.disagreements(with: reference)
            print(
                String(
                    format:
                        "  float32: accuracy %.2f %%, partial clips %.2f %%; %@ changed %d of %d labels, %d of %d partial",
                    reference.accuracy * 100, (reference.partial_clip_accuracy ?? 0) * 100,
                    inference.precision.rawValue, changed.clips,
                    report.count, changed.partialClips, report.partial_predictions.count))
        }
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(report).write(to: URL(fileURLWithPath: json))
        }
        if let out {
            let dir = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let m = report.metrics
            try m.confusionCSV(classNames: report.class_names).write(
                to: dir.appendingPathComponent("confusion-\(split).csv"), atomically: true, encoding: .utf8)
            try ConfusionMatrixPlot.svg(m, classNames: report.class_names, title: "\(model) · \(split)")
                .write(to: dir.appendingPathComponent("confusion-\(split).svg"), atomically: true, encoding: .utf8)
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy a run's model bundle, checked, to a deployable file (float16 or float32).")

    @Option(name: .customLong("run"), help: "Run folder holding model.safetensors (written by the cmkm stage).")
    var runFolder: String
    @Option(help: "Destination file.") var to: String
    @Flag(help: "Store float32 instead of float16.") var float32 = false

    func run() throws {
        let bundle = try ModelBundle.load(URL(fileURLWithPath: runFolder).appendingPathComponent("model.safetensors"))
        try bundle.save(to: URL(fileURLWithPath: to), dtype: float32 ? .f32 : .f16)
        let reloaded = try ModelBundle.load(URL(fileURLWithPath: to))
        print(
            "exported \(to): \(reloaded.metadata.dataset.classNames.count) classes, window \(reloaded.metadata.windowSeconds) s, validation \(reloaded.metadata.validation)"
        )
    }
}

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-info",
        abstract: "Print a model bundle's input contract: classes, window, IMU channels and units, joint order, rates.",
        discussion: "What a sensor gateway must send (docs/protocol.md §5.3). --json writes the same for programs.")

    @Option(help: "Model bundle (.safetensors).") var model = "models/utd-mhad-cmkm.safetensors"
    @Option(help: "Write the contract as JSON here (- for standard output).") var json: String?

    func run() throws {
        let contract = ModelContract(try ModelBundle.load(URL(fileURLWithPath: model)).metadata)
        guard let json else { return print(contract.summary) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(contract)
        if json == "-" {
            print(String(decoding: data, as: UTF8.self))
        } else {
            try data.write(to: URL(fileURLWithPath: json))
        }
    }
}
