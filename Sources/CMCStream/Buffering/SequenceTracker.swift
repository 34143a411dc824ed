/// Detects frames lost upstream (a PUB over its high-water mark drops silently) from the per-stream
/// sequence numbers in the frame header.
///
/// A jump forward counts the numbers skipped as lost at once (the metric must move while a sender
/// drops frames). A number up to `stragglerWindow` below the highest seen is a late frame, not a
/// restart: if it had been counted lost it is reported as a straggler, so `lost − recovered` is what
/// never arrived. A jump of more than `maxJump`, or a step back further than the window, is a sender
/// restart or a corrupted counter: counted as a reset, never as billions of lost frames.
public struct SequenceTracker: Sendable {
    public static let stragglerWindow: UInt64 = 8
    public static let maxJump: UInt64 = 1 << 20

    public private(set) var highest: UInt64?
    /// Numbers within the straggler window that were skipped (counted lost) and may still arrive.
    private var missing: Set<UInt64> = []

    public init() {}

    public enum Observation: Equatable, Sendable {
        case inOrder
        /// `missing` frames were skipped (counted lost now).
        case gap(missing: UInt64)
        /// A frame counted lost earlier arrived after all.
        case straggler
        /// The number jumped implausibly far, or went back beyond the window: a publisher restart or a replay.
        case reset
    }

    public mutating func observe(_ sequence: UInt64) -> Observation {
        guard let top = highest else {
            highest = sequence
            return .inOrder
        }
        if sequence == top &+ 1 {
            advance(to: sequence)
            return .inOrder
        }
        if sequence > top {
            let skipped = sequence - top - 1
            if skipped >= Self.maxJump {
                restart(at: sequence)
                return .reset
            }
            for k in max(top + 1, sequence - min(skipped, Self.stragglerWindow))..<sequence { missing.insert(k) }
            advance(to: sequence)
            return .gap(missing: skipped)
        }
        if top - sequence <= Self.stragglerWindow {
            // a repeat: duplicates are caught by sample time
            return missing.remove(sequence) != nil ? .straggler : .inOrder
        }
        restart(at: sequence)
        return .reset
    }

    private mutating func advance(to sequence: UInt64) {
        highest = sequence
        if !missing.isEmpty { missing = missing.filter { sequence &- $0 <= Self.stragglerWindow } }
    }

    private mutating func restart(at sequence: UInt64) {
        highest = sequence
        missing.removeAll()
    }
}
