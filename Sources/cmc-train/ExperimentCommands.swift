import ArgumentParser
import CMCData
import CMCTraining
import Foundation

/// Options shared by every training command.
struct RunOptions: ParsableArguments {
    @Option(help: "Experiment configuration (JSON). Default: configs/utd-mhad.json.")
    var config = "configs/utd-mhad.json"

    @Option(
        help: ArgumentHelp(
            "Dataset root (the dataset folder or a folder holding it).",
            discussion: "Defaults to $\(DataRoot.environmentVariable), else ../shared/data."))
    var root: String?

    @Option(help: "Output folder for checkpoints, results and the model bundle. Default: runs/<config name>.")
    var out: String?

    @Option(help: "Divide every epoch count by this (a quick smoke run of the same pipeline).")
    var quick: Int?

    /// The configuration (quick-scaled), the dataset root and the output folder, with the effective
    /// configuration saved there.
    func prepared(
        suffix: String = "", transform: (ExperimentConfig) -> ExperimentConfig = { $0 }
    ) throws -> (config: ExperimentConfig, root: String, out: URL) {
        var config = try ExperimentConfig.load(URL(fileURLWithPath: self.config))
        if let q = quick, q > 1 {
            config = config.quick(epochDivisor: q)
            config.name += "-quick\(q)"
        }
        config = transform(config)
        guard let root = DataRoot.resolve(explicit: root) else {
            throw ValidationError(
                "no dataset root: pass --root or set \(DataRoot.environmentVariable) (UTD-MHAD: http://www.utdallas.edu/~kehtar/UTD-MAD/Inertial.zip and Skeleton.zip)"
            )
        }
        let outURL = URL(fileURLWithPath: out ?? "runs/\(config.name)\(suffix)")
        try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
        try config.jsonString().write(
            to: outURL.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        return (config, root, outURL)
    }

    func runner() throws -> ExperimentRunner {
        let (config, root, out) = try prepared()
        return try ExperimentRunner(config: config, dataRoot: root, out: out)
    }
}

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment", abstract: "Run every stage listed in the configuration, in order.")
    @OptionGroup var options: RunOptions
    @Option(
        parsing: .upToNextOption,
        help: "Only these stages (\(ExperimentConfig.Stage.allCases.map(\.rawValue).joined(separator: ", "))).")
    var stages: [String] = []
    @Option(
        help: ArgumentHelp(
            "Cross-validation: loso runs one fold per subject of the split's train and validation parts; all then trains on every one of them.",
            discussion: """
                loso: folds in OUT/fold-s<N>/ (resumable); mean ± spread per stage in OUT/cv-summary.{json,txt}.
                all: the model to ship once the folds chose the settings, with no validation subject and \
                classifiers at their last epoch; default OUT runs/<config name>-all.
                """))
    var cv: String?
    @Option(
        help: ArgumentHelp(
            "How classifiers pick their epoch: \(ModelSelection.allCases.map(\.rawValue).joined(separator: ", ")).",
            discussion:
                "Default: the configuration's (best-validation, the paper's protocol); last-epoch with --cv, so that "
                + "a fold's figure never depends on its held-out labels."))
    var selection: ModelSelection?
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "With --cv loso: run only the folds of these validation subjects (default: every fold).",
            discussion: "Folds run in parallel processes sharing OUT; each summary includes the folds already recorded."
        ))
    var folds: [Int] = []

    func run() throws {
        if !folds.isEmpty && cv != "loso" { throw ValidationError("--folds needs --cv loso") }
        let stages = try stages.map { s -> ExperimentConfig.Stage in
            guard let st = ExperimentConfig.Stage(rawValue: s) else { throw ValidationError("unknown stage \(s)") }
            return st
        }
        switch cv {
        case nil:
            guard let selection else { return try options.runner().run(only: stages.isEmpty ? nil : stages) }
            let (config, root, out) = try options.prepared()
            try ExperimentRunner(config: config.selecting(selection), dataRoot: root, out: out)
                .run(only: stages.isEmpty ? nil : stages)
        case "loso"?:
            let (config, root, out) = try options.prepared(suffix: "-loso")
            _ = try CrossValidation.run(
                config: config, dataRoot: root, out: out, only: stages.isEmpty ? nil : stages,
                selection: selection ?? .lastEpoch, subjects: folds.isEmpty ? nil : folds)
        case "all"?:
            let (config, root, out) = try options.prepared(transform: CrossValidation.allSubjects)
            try ExperimentRunner(config: config, dataRoot: root, out: out)
                .run(only: stages.isEmpty ? nil : stages)
        case let other?: throw ValidationError("--cv \(other): loso or all")
        }
    }
}

/// A command that runs one stage of the experiment.
protocol StageCommand: ParsableCommand {
    var options: RunOptions { get }
    var stage: ExperimentConfig.Stage { get }
}

extension StageCommand {
    func run() throws { try options.runner().run(only: [stage]) }
}

extension Modality: ExpressibleByArgument {}
extension ModelSelection: ExpressibleByArgument {}

struct SimCLRCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "simclr",
        abstract: "SimCLR pre-training of one modality (the CMKM teachers) and its linear evaluation.")
    @OptionGroup var options: RunOptions
    @Option(help: "The modality to pre-train.") var modality: Modality
    var stage: ExperimentConfig.Stage { modality == .skeleton ? .simclrSkeleton : .simclrInertial }
}

struct CMCCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc", abstract: "CMC pre-training and the frozen-encoder classifier.")
    @OptionGroup var options: RunOptions
    var stage: ExperimentConfig.Stage { .cmc }
}

struct CMKMCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmkm",
        abstract: "CMC-CMKM pre-training (trains the SimCLR teachers first if needed), classifiers, model bundle.")
    @OptionGroup var options: RunOptions
    var stage: ExperimentConfig.Stage { .cmkm }
}

struct SupervisedCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervised", abstract: "A supervised baseline: encoders trained from scratch with the head.")
    @OptionGroup var options: RunOptions
    @Option(help: "One modality only (the unimodal baseline); the multimodal baseline when omitted.")
    var modality: Modality?
    var stage: ExperimentConfig.Stage {
        switch modality {
        case nil: .supervised
        case .inertial: .supervisedInertial
        case .skeleton: .supervisedSkeleton
        }
    }
}

struct FineTuneCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune", abstract: "End-to-end fine-tuning of the CMC-CMKM encoders.")
    @OptionGroup var options: RunOptions
    var stage: ExperimentConfig.Stage { .fineTune }
}

struct SemiSupervisedCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "semi-supervised", abstract: "Frozen-encoder classifiers on label fractions, repeated with seeds.")
    @OptionGroup var options: RunOptions
    var stage: ExperimentConfig.Stage { .semiSupervised }
}

struct RetrievalCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval", abstract: "Activity retrieval: precision@k and mAP of encoder features.")
    @OptionGroup var options: RunOptions
    var stage: ExperimentConfig.Stage { .retrieval }
}
