import Foundation

/// The datasets CMCData can read, with their default split, preprocessing and augmentations.
public enum DatasetKind: String, CaseIterable, Sendable, Codable {
    case utdMHAD = "utd-mhad"
    case smartFallMM = "smartfallmm"
    case basicMotions = "basicmotions"

    /// Finds the dataset's own folder from a user-given root, which may be the dataset folder
    /// itself or a folder holding it (e.g. `CMC_DATA_ROOT` holding `utd-mhad/`, `smartfallmm/`).
    public func resolveDirectory(root: String) -> String? {
        let root = (root as NSString).standardizingPath
        let candidates: [String]
        switch self {
        case .utdMHAD: candidates = [root, "\(root)/utd-mhad", "\(root)/UTD-MHAD", "\(root)/utd_mhad"]
        case .smartFallMM: candidates = [root, "\(root)/young", "\(root)/smartfallmm", "\(root)/smartfallmm/young"]
        case .basicMotions: candidates = [root, "\(root)/basicmotions", "\(root)/BasicMotions"]
        }
        return candidates.first(where: looksLikeDataset)
    }

    private func looksLikeDataset(_ dir: String) -> Bool {
        switch self {
        case .utdMHAD:
            return findSubdirectory(dir, named: "Inertial") != nil || findSubdirectory(dir, named: "Skeleton") != nil
        case .smartFallMM:
            return findSubdirectory(dir, named: "skeleton") != nil
                && findSubdirectory(dir, named: "accelerometer") != nil
        case .basicMotions:
            return FileManager.default.fileExists(atPath: "\(dir)/BasicMotions_TRAIN.ts")
                || FileManager.default.fileExists(atPath: "\(dir)/BasicMotions_TEST.ts")
        }
    }

    /// Loads the dataset found under `root`; throws only when no dataset folder is found there.
    /// `smartFallMM` options apply to SmartFallMM only.
    public func load(root: String, smartFallMM options: SmartFallMM.Options = .init()) throws -> Dataset {
        guard let dir = resolveDirectory(root: root) else {
            throw DataError.missing(
                file: root, reason: "no \(rawValue) dataset folder here (looked for \(expectedLayout))")
        }
        switch self {
        case .utdMHAD: return UTDMHAD.load(directory: dir)
        case .smartFallMM: return SmartFallMM.load(directory: dir, options: options)
        case .basicMotions: return BasicMotions.load(directory: dir)
        }
    }

    public var expectedLayout: String {
        switch self {
        case .utdMHAD: return "[utd-mhad/]Inertial/*.mat and Skeleton/*.mat"
        case .smartFallMM: return "[smartfallmm/][young/]skeleton/, accelerometer/watch/, gyroscope/watch/"
        case .basicMotions: return "[basicmotions/]BasicMotions_{TRAIN,TEST}.ts"
        }
    }

    public var defaultSplit: SubjectSplit {
        switch self {
        case .utdMHAD: return .utdMHADCrossSubject
        case .smartFallMM: return .smartFallMMDefault
        case .basicMotions: return .basicMotions
        }
    }

    public var preprocessor: Preprocessor {
        switch self {
        case .utdMHAD: return .utdMHAD
        case .smartFallMM: return .smartFallMM
        case .basicMotions: return Preprocessor(skeletonNormalization: .none)
        }
    }

    public var augmentations: AugmentationConfig {
        switch self {
        case .utdMHAD: return .utdMHAD
        case .smartFallMM: return .smartFallMM
        case .basicMotions: return AugmentationConfig(inertial: .utdMHAD, skeleton: .none)
        }
    }
}

/// Where the datasets live: an explicit path, else `CMC_DATA_ROOT`, else `../shared/data`
/// relative to the working directory when it exists.
public enum DataRoot {
    public static let environmentVariable = "CMC_DATA_ROOT"

    public static func resolve(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> String? {
        if let explicit, !explicit.isEmpty { return explicit }
        if let env = environment[environmentVariable], !env.isEmpty { return env }
        let fallback = ((currentDirectory as NSString).appendingPathComponent("../shared/data") as NSString)
            .standardizingPath
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: fallback, isDirectory: &isDir) && isDir.boolValue ? fallback : nil
    }
}
