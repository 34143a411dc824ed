import Foundation

/// A set of subject ids written the way operators write them: `"1-4,7"`, or a JSON array `[1, 2, 3]`.
public struct SubjectList: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Ascending, without duplicates.
    public let ids: [UInt32]

    /// Bound on a list's size: each id becomes two ZeroMQ subscriptions.
    public static let maxCount = 100_000

    public init(_ ids: [UInt32]) { self.ids = Array(Set(ids)).sorted() }

    public struct ParseError: Error, CustomStringConvertible {
        public let text: String, reason: String
        public var description: String { "subject list \"\(text)\": \(reason)" }
    }

    /// Parses comma-separated ids and inclusive ranges (`1-4,7`).
    public init(parsing text: String) throws {
        var ids: [UInt32] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, let lo = UInt32(bounds[0]),
                let hi = UInt32(bounds.count == 2 ? bounds[1] : bounds[0])
            else {
                throw ParseError(text: text, reason: "\"\(item)\" is not an id or a range a-b of unsigned 32-bit ids")
            }
            guard lo <= hi else { throw ParseError(text: text, reason: "range \(item) is empty") }
            guard Int(hi - lo) < Self.maxCount - ids.count else {
                throw ParseError(text: text, reason: "more than \(Self.maxCount) subjects")
            }
            ids += Array(lo...hi)
        }
        guard !ids.isEmpty else { throw ParseError(text: text, reason: "no subject listed") }
        self.init(ids)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            do { try self.init(parsing: text) } catch {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
            }
        } else {
            let list = try container.decode([UInt32].self)
            guard !list.isEmpty else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "empty subject list")
            }
            self.init(list)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Compact form: runs of consecutive ids become ranges.
    public var description: String {
        var parts: [String] = []
        var i = 0
        while i < ids.count {
            var j = i
            while j + 1 < ids.count && ids[j + 1] == ids[j] + 1 { j += 1 }
            parts.append(j > i ? "\(ids[i])-\(ids[j])" : "\(ids[i])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
