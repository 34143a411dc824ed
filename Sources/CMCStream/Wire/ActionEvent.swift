import Foundation

/// One whole action of one subject, found by the segmenter and classified whole, published as UTF-8
/// JSON on topic `action/<subject>/` (docs/protocol.md §5.2) once the subject has been still for the
/// segmenter's hangover after it. Consumers of window labels (`label/`) never see it.
public struct ActionEvent: JSONEvent, Equatable {
    public typealias Candidate = LabelEvent.Candidate

    public static let currentVersion = 1

    public var version: Int
    public var subject: UInt32
    /// Per-subject action counter from 0 (the segmenter's id; restarts with the daemon).
    public var action: UInt64
    /// Time base of `start_ns`/`end_ns`, as for label events.
    public var clock: String
    /// The action on the daemon timeline: its motion plus the segmenter's padding on both sides (the
    /// span that was classified).
    public var startNanoseconds: Int64
    public var endNanoseconds: Int64
    /// The same bounds on the sender's clock (of the subject's IMU stream, else its skeleton stream).
    public var startSensorNanoseconds: Int64
    public var endSensorNanoseconds: Int64
    /// The best class, or "unknown" below the daemon's threshold.
    public var label: String
    /// Index of `label` in the model's class list; -1 for "unknown".
    public var labelIndex: Int
    public var confidence: Double
    public var topK: [Candidate]
    public var modalities: [String]
    public var fallback: Bool
    /// Closed at the segmenter's longest action rather than by stillness (the motion went on).
    public var truncated: Bool
    public var inferenceMilliseconds: Double
    /// From the moment the segmenter closed the action to the moment this event was published.
    public var endToEndMilliseconds: Double
    public var publishedUnixNanoseconds: Int64
    /// The model that decided (as in `LabelEvent.model`).
    public var model: String?

    enum CodingKeys: String, CodingKey {
        case version = "v", subject, action, clock
        case startNanoseconds = "start_ns", endNanoseconds = "end_ns"
        case startSensorNanoseconds = "start_sensor_ns", endSensorNanoseconds = "end_sensor_ns"
        case label, labelIndex = "label_index", confidence, topK = "top_k", modalities, fallback, truncated
        case inferenceMilliseconds = "inference_ms", endToEndMilliseconds = "end_to_end_ms"
        case publishedUnixNanoseconds = "published_unix_ns", model
    }

    public var topic: String { Topic.action(subject: subject) }
    public var seconds: Double { Double(endNanoseconds &- startNanoseconds) * 1e-9 }
}

/// Anything the daemon publishes on its label socket.
public enum PublishedEvent: Sendable, Equatable {
    case label(LabelEvent)
    case action(ActionEvent)

    /// Decodes a `[topic, json]` message by its topic prefix.
    public static func decode(message parts: [[UInt8]]) throws -> PublishedEvent {
        if let topic = parts.first, topic.starts(with: Array(Topic.allActions.utf8)) {
            return .action(try ActionEvent.decode(message: parts))
        }
        return .label(try LabelEvent.decode(message: parts))
    }
}
