import ArgumentParser
import CMCData
import Foundation

/// `cmc-train data …`: inspect datasets before training on them.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect datasets: counts, lengths, problems, and plots of single samples.",
        subcommands: [Describe.self, Show.self])
}

/// Which dataset, and where it lives.
struct DatasetOptions: ParsableArguments {
    @Option(help: "Dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: String

    @Option(
        help: ArgumentHelp(
            "Data root: the dataset folder itself or a folder holding it.",
            discussion:
                "Defaults to $\(DataRoot.environmentVariable), else ../shared/data relative to the working directory."))
    var root: String?

    @Option(
        help: ArgumentHelp(
            "SmartFallMM trials whose IMU files are byte-identical to other trials': \(SmartFallMM.SharedInertialPolicy.allCases.map(\.rawValue).joined(separator: ", ")).",
            discussion:
                "They are always reported; some subjects' IMU files are one session recording copied into every trial.")
    )
    var sharedImu = SmartFallMM.SharedInertialPolicy.keep.rawValue

    func validate() throws {
        guard DatasetKind(rawValue: dataset.lowercased()) != nil else {
            throw ValidationError(
                "unknown dataset '\(dataset)'; choose one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard SmartFallMM.SharedInertialPolicy(rawValue: sharedImu) != nil else {
            throw ValidationError(
                "unknown --shared-imu '\(sharedImu)'; choose one of \(SmartFallMM.SharedInertialPolicy.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
    }

    var kind: DatasetKind { DatasetKind(rawValue: dataset.lowercased())! }

    /// Loads the dataset; returns it with the folder it was read from.
    func load() throws -> (Dataset, String) {
        guard let root = DataRoot.resolve(explicit: root) else {
            throw DataCommandError("no data root: pass --root or set \(DataRoot.environmentVariable)")
        }
        guard let directory = kind.resolveDirectory(root: root) else {
            throw DataCommandError("no \(kind.rawValue) data under \(root) (expected \(kind.expectedLayout))")
        }
        var options = SmartFallMM.Options()
        options.sharedInertial = SmartFallMM.SharedInertialPolicy(rawValue: sharedImu) ?? .keep
        return (try kind.load(root: directory, smartFallMM: options), directory)
    }
}

/// A failure while running a data command (printed as "Error: …", exit code 1, no usage text).
struct DataCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension DataCommand {
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count samples per split and class, summarise sequence lengths, list problems.",
            discussion:
                "Prints a one-screen summary; --json writes the full report (counts.train/val/test, per-class counts, lengths, problems)."
        )

        @OptionGroup var data: DatasetOptions

        @Option(help: "Subject split as JSON {name, train, val, test} (default: the dataset's standard split).")
        var split: String?

        @Option(help: "Write the full report as JSON to this file.")
        var json: String?

        func run() throws {
            let (dataset, directory) = try data.load()
            let split = try self.split.map { try SubjectSplit.load(jsonFile: $0) } ?? data.kind.defaultSplit
            let report = DescribeReport(
                dataset: dataset, directory: directory, split: split,
                preprocessor: data.kind.preprocessor)
            print(report.summary())
            if let json {
                try report.jsonData().write(to: URL(fileURLWithPath: json))
                print("report written to \(json)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plot one sample (IMU channels, skeleton poses and trajectories, raw and resampled) as SVG.")

        @OptionGroup var data: DatasetOptions

        @Option(help: "Index of the sample in the loaded dataset (sorted by class, subject, trial).")
        var index: Int?

        @Option(help: "Sample id, e.g. a1_s1_t1 (UTD-MHAD) or S30A01T01 (SmartFallMM).")
        var id: String?

        @Option(help: "Output SVG file.")
        var out: String

        func validate() throws {
            guard (index == nil) != (id == nil) else { throw ValidationError("give exactly one of --index and --id") }
        }

        func run() throws {
            let (dataset, _) = try data.load()
            let sample: Sample
            if let id {
                guard let found = dataset.sample(id: id) else {
                    let related = dataset.problems.filter { $0.file.contains(id) }.map(\.description)
                    let hint =
                        related.isEmpty
                        ? "; subjects present: \(dataset.subjects.map(String.init).joined(separator: ",")); ids look like \(dataset.samples.first?.id ?? "?")"
                        : "; problems: \(related.joined(separator: "; "))"
                    throw DataCommandError("no loaded sample '\(id)'" + hint)
                }
                sample = found
            } else {
                guard let index, dataset.samples.indices.contains(index) else {
                    throw DataCommandError("--index must be in 0..<\(dataset.samples.count)")
                }
                sample = dataset.samples[index]
            }
            let svg = try SamplePlot.svg(sample: sample, info: dataset.info, preprocessor: data.kind.preprocessor)
            try svg.write(toFile: out, atomically: true, encoding: .utf8)
            print("\(sample.id) (\(dataset.info.classNames[sample.label])) → \(out)")
        }
    }
}
