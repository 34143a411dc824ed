/// Detects frames lost upstream (a PUB over its high-water mark drops silently) from the per-stream
/// sequence numbers in the frame header.
public struct SequenceTracker: Sendable {
    public private(set) var last: UInt64?

    public init() {}

    public enum Observation: Equatable, Sendable {
        case inOrder
        /// `missing` frames were never received.
        case gap(missing: UInt64)
        /// The number went backwards or repeated: a publisher restart or a replay. Counted, not fatal.
        case reset
    }

    public mutating func observe(_ sequence: UInt64) -> Observation {
        defer { last = sequence }
        guard let previous = last else { return .inOrder }
        if sequence == previous &+ 1 { return .inOrder }
        if sequence > previous { return .gap(missing: sequence - previous - 1) }
        return .reset
    }
}
