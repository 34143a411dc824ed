import CMCCore
/// Why a received message was rejected, naming the field at fault. Decoding never traps on hostile
/// bytes: every length, count and value is checked before use and a failure becomes one of these.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The message ended before the field: `needed` bytes from its offset, `available` left.
        case truncated(needed: Int, available: Int)
        case badMagic
        case unsupportedVersion(UInt8)
        case unknownMessageType(UInt8)
        /// A count, code or flag outside what protocol v1 allows; the string says what was expected.
        case invalid(String)
        /// NaN or ±Inf in a sample value.
        case nonFinite
        /// Explicit sample timestamps must strictly increase and start at `t0`.
        case notIncreasing
        /// Bytes left over after the last field: the declared counts do not match the length.
        case trailingBytes(Int)
    }

    /// The field, as named in docs/protocol.md (e.g. `header.channels`, `data[3][2]`, `topic`).
    public let field: String
    public let reason: Reason

    public init(_ field: String, _ reason: Reason) {
        self.field = field
        self.reason = reason
    }

    /// A short, bounded label for metrics (`cmc_frames_malformed_total{reason=...}`).
    public var metricReason: String {
        switch reason {
        case .truncated: "truncated"
        case .badMagic: "magic"
        case .unsupportedVersion: "version"
        case .unknownMessageType: "type"
        case .invalid: "invalid"
        case .nonFinite: "non_finite"
        case .notIncreasing: "timestamps"
        case .trailingBytes: "length"
        }
    }

    public var description: String {
        switch reason {
        case .truncated(let needed, let available): "\(field): truncated (needs \(needed) bytes, \(available) left)"
        case .badMagic: "\(field): bad magic (expected \"CMCF\")"
        case .unsupportedVersion(let v): "\(field): unsupported protocol version \(v) (this build speaks 1)"
        case .unknownMessageType(let t): "\(field): unknown message type \(t)"
        case .invalid(let why): "\(field): \(why)"
        case .nonFinite: "\(field): NaN or infinite value"
        case .notIncreasing: "\(field): timestamps must start at t0 and strictly increase"
        case .trailingBytes(let n): "\(field): \(n) unexpected trailing bytes"
        }
    }
}

extension ByteReader where Failure == WireError {
    /// A little-endian reader of protocol payloads and recordings: a short read is a `truncated` wire error
    /// naming the field.
    init(_ bytes: [UInt8]) {
        self.init(bytes) { WireError($0.field, .truncated(needed: $0.needed, available: $0.available)) }
    }
}
