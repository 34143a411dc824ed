import CMCCore
import Foundation

public enum SplitName: String, Sendable, Codable, CaseIterable {
    case train, val, test
}

/// A subject-wise train / val / test split. Codable, so experiments can load one from JSON:
/// `{"name": "custom", "train": [1, 3], "val": [5], "test": [2]}`.
///
/// Subjects absent from the data simply give smaller (possibly empty) parts: callers report an
/// empty part instead of failing. Subjects present but listed nowhere are "unassigned".
public struct SubjectSplit: Sendable, Codable, Equatable {
    public var name: String
    public var train: [Int]
    public var val: [Int]
    public var test: [Int]

    public init(name: String, train: [Int], val: [Int], test: [Int]) {
        self.name = name
        self.train = train
        self.val = val
        self.test = test
    }

    /// UTD-MHAD cross-subject protocol (reference `protocols.cross_subject`).
    public static let utdMHADCrossSubject = SubjectSplit(
        name: "cross_subject", train: [1, 3, 5], val: [7], test: [2, 4, 6, 8])

    /// SmartFallMM (young) has no official split. Default: S43 and S44 — held out of the data
    /// distributed here for independent evaluation — are the test set; S39 (40 trials, clean IMU
    /// files) is validation; every other young subject known so far trains.
    public static let smartFallMMDefault = SubjectSplit(
        name: "subject_holdout", train: [29, 30, 31, 34, 36, 37, 38, 45, 46], val: [39], test: [43, 44])

    /// Reads a split from a JSON file.
    public static func load(jsonFile path: String) throws -> SubjectSplit {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.io(file: path, reason: "split file missing or not readable")
        }
        do { return try JSONDecoder().decode(SubjectSplit.self, from: data) } catch {
            throw DataError.malformed(file: path, reason: "not a split JSON ({name, train, val, test}): \(error)")
        }
    }

    public func subjects(_ part: SplitName) -> [Int] {
        switch part {
        case .train: return train
        case .val: return val
        case .test: return test
        }
    }

    /// The split to score `part` by: this one, or, where it lists no `part` subjects (a model trained on every
    /// subject has no validation part), one listing `fallback`'s `part` subjects in that part alone.
    public func scoring(_ part: SplitName, fallback: SubjectSplit) -> SubjectSplit {
        guard subjects(part).isEmpty else { return self }
        let s = fallback.subjects(part)
        return SubjectSplit(
            name: fallback.name, train: part == .train ? s : [], val: part == .val ? s : [],
            test: part == .test ? s : [])
    }

    /// The part a subject belongs to (the first listing wins if a subject is listed twice).
    public func part(ofSubject subject: Int) -> SplitName? {
        SplitName.allCases.first { subjects($0).contains(subject) }
    }

    /// Samples of one part, in their original order.
    public func samples(_ part: SplitName, from samples: [Sample]) -> [Sample] {
        let set = Set(subjects(part))
        return samples.filter { set.contains($0.subject) && self.part(ofSubject: $0.subject) == part }
    }

    /// Subjects present in `samples` that no part lists.
    public func unassignedSubjects(in samples: [Sample]) -> [Int] {
        Array(Set(samples.map(\.subject)).filter { part(ofSubject: $0) == nil }).sorted()
    }
}

/// Semi-supervised label budgets (reference `limited_k`, method.md §5.5).
public enum LabelFraction {
    /// Keeps `max(1, Int(k · n_c))` randomly chosen samples of every class c present (without
    /// replacement), preserving the input order. Seeded through `rng`, so reproducible.
    public static func limit(_ samples: [Sample], fraction k: Double, rng: inout SeededRNG) -> [Sample] {
        precondition(k > 0 && k <= 1, "label fraction must be in (0, 1], got \(k)")
        var byClass = [Int: [Int]]()
        for (i, s) in samples.enumerated() { byClass[s.label, default: []].append(i) }
        var keep = Set<Int>()
        for label in byClass.keys.sorted() {
            let indices = byClass[label]!
            let n = max(1, Int(k * Double(indices.count)))
            let order = rng.permutation(indices.count)
            for i in order.prefix(n) { keep.insert(indices[i]) }
        }
        return samples.enumerated().filter { keep.contains($0.offset) }.map(\.element)
    }
}
