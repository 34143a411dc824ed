import Foundation

/// One activity decision for one subject, published as UTF-8 JSON on topic `label/<subject>/`
/// (docs/protocol.md §5). JSON because every consumer (dashboards, Python, shell `jq`) reads it for free,
/// and labels are a few per second per subject, so its cost does not matter.
public struct LabelEvent: JSONEvent, Equatable {
    public struct Candidate: Codable, Sendable, Equatable {
        public var label: String
        public var probability: Double
        public init(label: String, probability: Double) {
            self.label = label
            self.probability = probability
        }
        enum CodingKeys: String, CodingKey { case label, probability = "p" }
    }

    public static let currentVersion = 1
    /// The label published when the smoothed confidence is below the threshold (`label_index` -1).
    public static let unknownLabel = "unknown"
    /// The label published when the window's centre lies between actions (`label_index` -2): no
    /// inference runs for it.
    public static let idleLabel = "idle"
    public static let idleIndex = -2

    public var version: Int
    public var subject: UInt32
    /// Per-subject event counter starting at 0; restarts when the daemon restarts.
    public var sequence: UInt64
    /// Time base of the window bounds: "monotonic" (daemon CLOCK_MONOTONIC) or "shared" (sensor clock).
    public var clock: String
    public var windowStartNanoseconds: Int64
    public var windowEndNanoseconds: Int64
    /// The smoothed decision, or "unknown".
    public var label: String
    /// Index of `label` in the model's class list; -1 for "unknown".
    public var labelIndex: Int
    /// Smoothed probability of the best class (even when the label is "unknown").
    public var confidence: Double
    /// The best classes after smoothing, most probable first.
    public var topK: [Candidate]
    /// The modalities this window was classified from: ["imu", "skeleton"], ["imu"] or ["skeleton"].
    public var modalities: [String]
    /// True when a modality was missing and a unimodal model decided.
    public var fallback: Bool
    /// This window's own best class before smoothing.
    public var raw: Candidate
    public var inferenceMilliseconds: Double
    /// From the moment the window's data was complete to the moment this event was published.
    public var endToEndMilliseconds: Double
    public var publishedUnixNanoseconds: Int64
    /// The window's end on the sender's clock (the subject's IMU stream, else its skeleton stream): what
    /// a client compares with its own timestamps, in every clock mode. Absent from older daemons.
    public var windowEndSensorNanoseconds: Int64?
    /// The action (`ActionEvent.action`) the window's centre lies in; absent when idle or unsegmented.
    public var action: UInt64?
    /// The model that decided: file name and a hash of its bytes (absent for idle labels and test models).
    public var model: String?

    enum CodingKeys: String, CodingKey {
        case version = "v", subject, sequence = "seq", clock
        case windowStartNanoseconds = "window_start_ns", windowEndNanoseconds = "window_end_ns"
        case label, labelIndex = "label_index", confidence, topK = "top_k", modalities, fallback, raw
        case inferenceMilliseconds = "inference_ms", endToEndMilliseconds = "end_to_end_ms"
        case publishedUnixNanoseconds = "published_unix_ns"
        case windowEndSensorNanoseconds = "window_end_sensor_ns", action, model
    }

    /// The instant the label describes: the window's centre (docs/protocol.md §5.1).
    public var labelTimeNanoseconds: Int64 {
        windowStartNanoseconds &+ (windowEndNanoseconds &- windowStartNanoseconds) / 2
    }

    /// The same instant on the sender's clock (nil from daemons before protocol revision 2).
    public var labelTimeSensorNanoseconds: Int64? {
        windowEndSensorNanoseconds.map { $0 &- (windowEndNanoseconds &- labelTimeNanoseconds) }
    }

    public var topic: String { Topic.label(subject: subject) }
}
