import CMCCore
import Foundation

/// What `cmc-train data describe` reports about a dataset: split and class counts, sequence-length
/// statistics per modality, and every problem met while loading. Encodes to JSON; `summary` is
/// the one-screen human version.
public struct DescribeReport: Sendable, Codable, JSONReport {
    public struct Counts: Sendable, Codable, Equatable {
        public var train: Int, val: Int, test: Int, unassigned: Int
    }
    public struct ClassCount: Sendable, Codable, Equatable {
        public var index: Int, name: String, total: Int, train: Int, val: Int, test: Int
    }
    public struct LengthStats: Sendable, Codable, Equatable {
        public var count: Int, min: Int, median: Double, max: Int
        /// Nominal rate (Hz) the lengths are counted at, when known.
        public var rate: Double?

        init?(_ lengths: [Int], rate: Double?) {
            guard !lengths.isEmpty else { return nil }
            let s = lengths.sorted()
            count = s.count
            min = s.first!
            max = s.last!
            median = s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
            self.rate = rate
        }
    }
    public struct SubjectParts: Sendable, Codable, Equatable {
        public var present: [Int]
        public var train: [Int], val: [Int], test: [Int]
        /// Subjects the split lists that have no data, per part.
        public var absent: [String: [Int]]
        public var unassigned: [Int]
    }

    public var dataset: String
    public var directory: String
    public var split: SubjectSplit
    public var samples: Int
    public var counts: Counts
    public var subjects: SubjectParts
    public var classes: [ClassCount]
    public var lengths: [String: LengthStats]
    public var problemCounts: [String: Int]
    public var problems: [DataProblem]
    public var notes: [String]
    /// Conditions a user should act on (empty split parts, unassigned subjects…).
    public var warnings: [String]

    /// Builds the report. Also checks that every skeleton can be normalised with `preprocessor`
    /// (a degenerate reference bone is reported as a problem).
    public init(dataset: Dataset, directory: String, split: SubjectSplit, preprocessor: Preprocessor) {
        let samples = dataset.samples
        self.dataset = dataset.info.name
        self.directory = directory
        self.split = split
        self.samples = samples.count

        let parts = Dictionary(uniqueKeysWithValues: SplitName.allCases.map { ($0, split.samples($0, from: samples)) })
        let unassigned = split.unassignedSubjects(in: samples)
        let unassignedCount = samples.filter { unassigned.contains($0.subject) }.count
        counts = Counts(
            train: parts[.train]!.count, val: parts[.val]!.count, test: parts[.test]!.count, unassigned: unassignedCount
        )

        let present = Set(samples.map(\.subject))
        var absent = [String: [Int]]()
        for part in SplitName.allCases {
            let missing = split.subjects(part).filter { !present.contains($0) }
            if !missing.isEmpty { absent[part.rawValue] = missing }
        }
        subjects = SubjectParts(
            present: present.sorted(),
            train: split.train.filter(present.contains), val: split.val.filter(present.contains),
            test: split.test.filter(present.contains), absent: absent, unassigned: unassigned)

        classes = dataset.info.classNames.enumerated().map { index, name in
            func n(_ list: [Sample]) -> Int { list.filter { $0.label == index }.count }
            return ClassCount(
                index: index, name: name, total: n(samples), train: n(parts[.train]!),
                val: n(parts[.val]!), test: n(parts[.test]!))
        }

        var lengths = [String: LengthStats]()
        lengths["inertial"] = LengthStats(
            samples.compactMap { $0.inertial?.shape[1] }, rate: dataset.info.inertialSampleRate)
        lengths["skeleton"] = LengthStats(
            samples.compactMap { $0.skeleton?.shape[1] }, rate: dataset.info.skeletonFrameRate)
        self.lengths = lengths

        var problems = dataset.problems
        for sample in samples {
            guard let skeleton = sample.skeleton else { continue }
            do { _ = try preprocessor.skeletonNormalization.apply(skeleton, sampleID: sample.id) } catch {
                problems.append(DataProblem(kind: .degenerate, file: sample.id, message: "\(error)", skipped: false))
            }
        }
        self.problems = problems
        problemCounts = Dictionary(grouping: problems, by: { $0.kind.rawValue }).mapValues(\.count)
        notes = dataset.notes

        var warnings = [String]()
        for part in SplitName.allCases where parts[part]!.isEmpty {
            let listed = split.subjects(part)
            warnings.append(
                listed.isEmpty
                    ? "\(part.rawValue) split is empty: the split lists no subjects for it"
                    : "\(part.rawValue) split is empty: subject(s) \(listed.map(String.init).joined(separator: ", ")) are not in the data"
            )
        }
        if !unassigned.isEmpty {
            warnings.append(
                "subject(s) \(unassigned.map(String.init).joined(separator: ", ")) are in no split part (\(unassignedCount) samples unused)"
            )
        }
        let skipped = problems.filter(\.skipped).count
        if skipped > 0 { warnings.append("\(skipped) file(s)/sample(s) skipped; see problems") }
        self.warnings = warnings
    }

}
