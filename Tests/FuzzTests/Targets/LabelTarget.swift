@testable import CMCStream
import Foundation

/// Label events: the JSON a subscriber decodes with `LabelEvent.decode(message:)`.
enum LabelTarget: FuzzTarget {
    static let name = "label"

    static func run(_ bytes: [UInt8]) -> String? {
        guard let event = try? JSONDecoder().decode(LabelEvent.self, from: Data(bytes)) else {
            // Whatever the JSON decoder refuses, the message decoder must refuse too.
            return (try? LabelEvent.decode(message: [Array("label/0/".utf8), bytes])) == nil
                ? nil : "message decoder accepted undecodable JSON"
        }
        let accepted = (try? LabelEvent.decode(message: [Array(event.topic.utf8), bytes])) != nil
        if accepted != (event.version == LabelEvent.currentVersion) {
            return "version \(event.version) accepted: \(accepted)"
        }
        guard let back = try? JSONDecoder().decode(LabelEvent.self, from: Data(event.encoded())), back == event else {
            return "event changed in a JSON round trip"
        }
        return nil
    }

    static func seeds() -> [[UInt8]] {
        let e = LabelEvent(
            version: 1, subject: 3, sequence: 17, clock: "monotonic", windowStartNanoseconds: 1_000,
            windowEndNanoseconds: 3_000_000_000, label: "wave", labelIndex: 2, confidence: 0.875,
            topK: [.init(label: "wave", probability: 0.875), .init(label: "clap", probability: 0.1)],
            modalities: ["imu", "skeleton"], fallback: false, raw: .init(label: "wave", probability: 0.9),
            inferenceMilliseconds: 1.25, endToEndMilliseconds: 4.5, publishedUnixNanoseconds: 1_700_000_000_000_000_000)
        var unknown = e
        unknown.label = LabelEvent.unknownLabel
        unknown.labelIndex = -1
        unknown.modalities = ["imu"]
        unknown.fallback = true
        return [e.encoded(), unknown.encoded()]
    }
}
