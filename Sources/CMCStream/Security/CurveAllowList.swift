import Foundation

/// The client public keys a CURVE server accepts, each with a name (the ZAP user id, used in logs).
///
/// File format, one client per line: `<Z85 public key> [name]`; blank lines and `#` comments are
/// ignored; a missing name defaults to the key's first 8 characters.
///
/// ```
/// # sensors allowed to publish frames to cmcd
/// rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  wrist-7
/// Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID  kinect-ward-2
/// ```
public struct CurveAllowList: Sendable, Equatable {
    public private(set) var names: [CurvePublicKey: String]
    /// Where it was read from, for logs ("inline" when built in code).
    public let source: String

    public init(_ entries: [CurvePublicKey: String], source: String = "inline") {
        names = entries
        self.source = source
    }

    public var count: Int { names.count }

    /// The client's name if its key is listed.
    public func name(of key: CurvePublicKey) -> String? { names[key] }

    /// Reads an allow-list file; throws naming the file and the line of every problem. Lines are not
    /// echoed back: whatever was pasted there by mistake stays out of the logs.
    public static func read(path: String) throws -> CurveAllowList {
        guard let data = FileManager.default.contents(atPath: path) else { throw CurveKeyError(path, "cannot read the allow-list") }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    public static func parse(_ text: String, source: String) throws -> CurveAllowList {
        var names: [CurvePublicKey: String] = [:]
        var problems: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
            guard let key = CurvePublicKey(z85: String(fields[0])) else {
                problems.append("line \(index + 1): not a Z85 public key (40 characters)")
                continue
            }
            let name = fields.count > 1 ? fields[1].trimmingCharacters(in: .whitespaces) : String(key.z85.prefix(8))
            names[key] = name
        }
        guard problems.isEmpty else { throw CurveKeyError(source, problems.joined(separator: "; ")) }
        return CurveAllowList(names, source: source)
    }
}
