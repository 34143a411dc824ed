import Foundation

/// An event the daemon publishes as `[topic, UTF-8 JSON]` (`LabelEvent`, `ActionEvent`): one encoding
/// (sorted keys, so equal events are equal bytes) and one checked decoding for all of them.
public protocol JSONEvent: Codable, Sendable {
    static var currentVersion: Int { get }
    var version: Int { get }
    /// The topic the event belongs on, derived from its subject.
    var topic: String { get }
}

extension JSONEvent {
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a struct of strings and finite numbers cannot fail; confidences are clamped finite.
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }

    /// `[topic, json]`, ready for `ZMQSocket.send`.
    public func message() -> [[UInt8]] { [Array(topic.utf8), encoded()] }

    /// Decodes a `[topic, json]` message, rejecting other versions and topics that do not match.
    public static func decode(message parts: [[UInt8]]) throws -> Self {
        guard parts.count == 2 else {
            throw WireError("message", .invalid("expected 2 parts [topic, json], got \(parts.count)"))
        }
        let event = try JSONDecoder().decode(Self.self, from: Data(parts[1]))
        if event.version != currentVersion { throw WireError("v", .unsupportedVersion(UInt8(clamping: event.version))) }
        if parts[0] != Array(event.topic.utf8) { throw WireError("topic", .invalid("expected \"\(event.topic)\"")) }
        return event
    }
}
