import Foundation

/// The client public keys a CURVE server accepts, each with a name (the ZAP user id, used in logs) and,
/// optionally, the subjects it is granted.
///
/// File format, one client per line: `<Z85 public key> [name] [subjects=IDS]`; blank lines and `#`
/// comments are ignored; a missing name defaults to the key's first 8 characters. A key may have one
/// line only, and a name no control characters (it is written into log lines). `subjects=1-4,7`
/// binds a key to those subject ids. On the sensors' list: its frames for any other subject are
/// dropped and counted (`cmc_frames_dropped_total{reason="unauthorized"}`). On the consumers' list: it
/// receives those subjects' labels and action events only, whatever it subscribes to. A key without
/// it may publish, or receive, every subject. Names that carry a restriction must be unique in the file
/// (the restriction is looked up by the name libzmq attaches to each message).
///
/// ```
/// # sensors allowed to publish frames to cmcd
/// rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  wrist-7        subjects=7
/// Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID  kinect-ward-2  subjects=1-40
/// ```
public struct CurveAllowList: Sendable, Equatable {
    public private(set) var names: [CurvePublicKey: String]
    /// Subjects each restricted client (by name) is granted; absent names are unrestricted.
    public private(set) var subjects: [String: Set<UInt32>]
    private let listedNames: Set<String>
    /// Where it was read from, for logs ("inline" when built in code).
    public let source: String

    public init(_ entries: [CurvePublicKey: String], subjects: [String: Set<UInt32>] = [:], source: String = "inline") {
        names = entries
        listedNames = Set(entries.values)
        self.subjects = subjects
        self.source = source
    }

    public var count: Int { names.count }

    /// The client's name if its key is listed.
    public func name(of key: CurvePublicKey) -> String? { names[key] }

    /// What a listed client is granted.
    public enum Grant: Sendable, Equatable {
        case all
        case subjects(Set<UInt32>)
    }

    /// What the client named `user` (the ZAP user id of a message) is granted; nil when no key of that
    /// name is listed (any more: a reload may have removed it while it stayed connected).
    public func grant(of user: String) -> Grant? {
        guard listedNames.contains(user) else { return nil }
        return subjects[user].map(Grant.subjects) ?? .all
    }

    /// Whether the client named `user` (the ZAP user id of a message) may publish frames for `subject`.
    public func allows(user: String, subject: UInt32) -> Bool {
        subjects[user].map { $0.contains(subject) } ?? true
    }

    /// Reads an allow-list file; throws naming the file and the line of every problem. Lines are not
    /// echoed back: whatever was pasted there by mistake stays out of the logs. A file that others
    /// may write is refused: whoever can edit it can let themselves in.
    public static func read(path: String) throws -> CurveAllowList {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CurveKeyError(path, "cannot read the allow-list") }
        let mode = info.st_mode & 0o777
        if mode & 0o022 != 0 {
            throw CurveKeyError(
                path, "allow-list is writable by group or others (mode \(String(mode, radix: 8))); chmod go-w it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CurveKeyError(path, "cannot read the allow-list")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    public static func parse(_ text: String, source: String) throws -> CurveAllowList {
        var names: [CurvePublicKey: String] = [:]
        var subjects: [String: Set<UInt32>] = [:]
        var problems: [String] = []
        // Any line break ends a line (a file saved with CRLF endings is one line per key, not one in all: Swift
        // reads "\r\n" as one character) and any white space separates fields, so a name holds single spaces only.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let key = CurvePublicKey(z85: fields.removeFirst()) else {
                problems.append("line \(index + 1): not a Z85 public key (40 characters)")
                continue
            }
            // A second line for a key would silently replace the first, and with it any restriction.
            if names[key] != nil {
                problems.append("line \(index + 1): the key is listed twice; give each key one line")
                continue
            }
            if fields.filter({ $0.hasPrefix("subjects=") }).count > 1 {
                problems.append("line \(index + 1): subjects= is given twice")
                continue
            }
            var allowed: Set<UInt32>?
            if let i = fields.firstIndex(where: { $0.hasPrefix("subjects=") }) {
                do { allowed = Set(try SubjectList(parsing: String(fields.remove(at: i).dropFirst(9))).ids) } catch {
                    // Not the parser's message: it quotes the text, and nothing from the file is echoed.
                    problems.append(
                        "line \(index + 1): subjects= must list subject ids and ranges a-b (e.g. 1-4,7), "
                            + "at most \(SubjectList.maxCount)")
                    continue
                }
            }
            let name = fields.isEmpty ? String(key.z85.prefix(8)) : fields.joined(separator: " ")
            // Names go into log lines: control characters could forge or garble them.
            if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                problems.append("line \(index + 1): the name contains control characters")
                continue
            }
            if let allowed {
                if subjects[name] != nil || names.values.contains(name) {
                    problems.append(
                        "line \(index + 1): name \"\(name)\" is used twice; a restricted client's name must be unique")
                    continue
                }
                subjects[name] = allowed
            } else if subjects[name] != nil {
                problems.append(
                    "line \(index + 1): name \"\(name)\" is used twice; a restricted client's name must be unique")
                continue
            }
            names[key] = name
        }
        guard problems.isEmpty else { throw CurveKeyError(source, problems.joined(separator: "; ")) }
        return CurveAllowList(names, subjects: subjects, source: source)
    }
}
