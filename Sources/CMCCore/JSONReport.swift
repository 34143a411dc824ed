import Foundation

/// A report a command writes with `--json FILE`: one encoding for all of them (indented, keys sorted so
/// files diff cleanly, slashes unescaped so paths read as paths).
public protocol JSONReport: Encodable {}

extension JSONReport {
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
