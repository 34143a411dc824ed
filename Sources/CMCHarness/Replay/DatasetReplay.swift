import CMCDaemon
import CMCData
import Foundation

/// Which recorded sequences to replay from a dataset root.
public struct DatasetSelection: Sendable {
    public var kind: DatasetKind
    /// Dataset folder (or a folder holding it); nil: `$CMC_DATA_ROOT`, else `../shared/data`.
    public var root: String?
    /// A part of the dataset's default subject split…
    public var split: SplitName?
    /// …or explicit subjects (wins over `split`).
    public var subjects: [Int]?

    public init(kind: DatasetKind = .utdMHAD, root: String? = nil, split: SplitName? = .val, subjects: [Int]? = nil) {
        self.kind = kind
        self.root = root
        self.split = split
        self.subjects = subjects
    }
}

/// Loads the selected sequences and lays them out as replay scripts.
public enum DatasetReplay {
    public struct Loaded: Sendable {
        public var info: DatasetInfo
        public var samples: [Sample]
        public var scripts: [StreamScript]
        /// E.g. "utd-mhad val split (subjects 7) under /data/utd-mhad".
        public var description: String
    }

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The dataset root to use, or nil when there is none (see `DataRoot.resolve`).
    public static func resolveRoot(_ explicit: String?) -> String? { DataRoot.resolve(explicit: explicit) }

    /// The clips of a demo file (`DemoClips`), laid out as from a dataset.
    public static func loadDemo(_ url: URL, session: SessionOptions) throws -> Loaded {
        let (info, samples) = try DemoClips.load(url)
        let subjects = Array(Set(samples.map(\.subject))).sorted().map(String.init).joined(separator: ",")
        return Loaded(
            info: info, samples: samples,
            scripts: SessionBuilder.scripts(samples: samples, info: info, options: session),
            description: "\(info.name) demo (subjects \(subjects), \(samples.count) clips) from \(url.path)")
    }

    public static func load(_ selection: DatasetSelection, session: SessionOptions) throws -> Loaded {
        guard let root = resolveRoot(selection.root) else {
            throw Missing(
                description:
                    "no dataset root: pass --root, set \(DataRoot.environmentVariable), or put the data in ../shared/data"
                    + (selection.kind == .utdMHAD
                        ? " (UTD-MHAD: http://www.utdallas.edu/~kehtar/UTD-MAD/Inertial.zip and Skeleton.zip)" : ""))
        }
        let dataset = try selection.kind.load(root: root)
        let samples: [Sample]
        let what: String
        if let subjects = selection.subjects {
            let wanted = Set(subjects)
            samples = dataset.samples.filter { wanted.contains($0.subject) }
            what = "subjects \(subjects.map(String.init).joined(separator: ","))"
        } else {
            let part = selection.split ?? .val
            let split = selection.kind.defaultSplit
            samples = split.samples(part, from: dataset.samples)
            what = "\(part.rawValue) split (subjects \(split.subjects(part).map(String.init).joined(separator: ",")))"
        }
        guard !samples.isEmpty else {
            let present = dataset.subjects.map(String.init).joined(separator: ",")
            throw Missing(
                description:
                    "\(selection.kind.rawValue) under \(root): no sequences for \(what) (subjects present: \(present))")
        }
        let scripts = SessionBuilder.scripts(samples: samples, info: dataset.info, options: session)
        return Loaded(
            info: dataset.info, samples: samples, scripts: scripts,
            description: "\(selection.kind.rawValue) \(what) under \(root)")
    }
}
