import Foundation

/// Errors thrown by CMCData readers and preprocessing. Every case names the file (or sample) and
/// the reason, so a message is actionable on its own.
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input is a valid file of a kind this reader does not handle (e.g. MAT v7.3, a struct array).
    case unsupported(file: String, reason: String)
    /// The input is damaged or not what it claims to be (truncated, bad lengths, bad numbers).
    case malformed(file: String, reason: String)
    /// The file could not be read from disk.
    case io(file: String, reason: String)
    /// The content is readable but unusable (e.g. a zero-length reference bone, too few frames).
    case degenerate(sample: String, reason: String)
    /// A required file or variable is missing.
    case missing(file: String, reason: String)

    public var description: String {
        switch self {
        case .unsupported(let file, let reason): return "\(file): unsupported: \(reason)"
        case .malformed(let file, let reason): return "\(file): malformed: \(reason)"
        case .io(let file, let reason): return "\(file): cannot read: \(reason)"
        case .degenerate(let sample, let reason): return "\(sample): degenerate: \(reason)"
        case .missing(let file, let reason): return "\(file): missing: \(reason)"
        }
    }
}

/// Something found while loading a dataset that did not stop the load: the reader skips the
/// affected item (or keeps it with a warning) and records one of these.
public struct DataProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A file without its partner modality (e.g. inertial without skeleton).
        case unpaired
        /// A file that could not be read or parsed; the sample is skipped.
        case unreadable
        /// Rows that were not valid data and were skipped (the sample is kept).
        case junkRows
        /// Data that is suspicious but kept (duplicated content, large gaps, …).
        case suspicious
        /// Data unusable after reading (e.g. modalities do not overlap in time); the sample is skipped.
        case degenerate
        /// A file name that does not follow the dataset's naming scheme; ignored.
        case unrecognisedName
    }

    public var kind: Kind
    /// The file (or sample id) concerned.
    public var file: String
    public var message: String
    /// True when the sample was dropped because of this problem.
    public var skipped: Bool

    public init(kind: Kind, file: String, message: String, skipped: Bool) {
        self.kind = kind
        self.file = file
        self.message = message
        self.skipped = skipped
    }

    public var description: String {
        "[\(kind.rawValue)\(skipped ? ", skipped" : "")] \(file): \(message)"
    }
}

/// `value` with `digits` decimals (locale-independent), for messages and reports.
func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
