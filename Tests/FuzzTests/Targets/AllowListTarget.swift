@testable import CMCStream

/// The CURVE allow-list parser and the key-file parsers (`CurveAllowList.parse`,
/// `CurveKeyFiles.parseSecret` / `parsePublic`: the file readers hand them the file's text). A parsed
/// allow-list must survive being written out and read back; a client name (it goes into log lines)
/// may not contain a line break or another control character; restricted names must be listed; and no error may quote a
/// key-sized piece of the text (a secret pasted into the wrong file must not reach a log).
enum AllowListTarget: FuzzTarget {
    static let name = "allowlist"

    static func run(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        // Key-like pieces: 40 printable ASCII characters (what a Z85 key is made of).
        let tokens = text.split(whereSeparator: { !($0.isASCII && $0 > " " && $0 < "\u{7F}") })
            .filter { $0.count >= 40 }.map { String($0.prefix(40)) }
        func quotes(_ error: any Error) -> Bool { tokens.contains { "\(error)".contains($0) } }
        do {
            let list = try CurveAllowList.parse(text, source: "fuzz")
            if let problem = check(list) { return problem }
        } catch {
            if quotes(error) && !isDuplicateName(error) { return "allow-list error quotes the text: \(error)" }
        }
        do {
            let pair = try CurveKeyFiles.parseSecret(text, source: "fuzz")
            let written = "# cmc CURVE secret key\n\(pair.secretKey.fileText)\n"
            if (try? CurveKeyFiles.parseSecret(written, source: "again")) != pair {
                return "a parsed secret key does not read back"
            }
        } catch {
            if quotes(error) { return "secret key error quotes the text: \(error)" }
        }
        do {
            let key = try CurveKeyFiles.parsePublic(text, source: "fuzz")
            if (try? CurveKeyFiles.parsePublic(key.z85, source: "again")) != key {
                return "a parsed public key does not read back"
            }
        } catch {
            if quotes(error) { return "public key error quotes the text: \(error)" }
        }
        return nil
    }

    /// The one error that names a client (a name, not a key, though it may be 40 characters long).
    static func isDuplicateName(_ error: any Error) -> Bool { "\(error)".contains("is used twice") }

    static func check(_ list: CurveAllowList) -> String? {
        for name in list.names.values
        where name.isEmpty || name.contains(where: \.isNewline)
            || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            return "client name \(name.debugDescription) would break a log line"
        }
        for name in list.subjects.keys where !list.names.values.contains(name) {
            return "restriction for \(name.debugDescription), which names no key"
        }
        // Written back (restriction first, so the name ends the line as it may have in the input) and re-read.
        let lines = list.names.map { key, name in
            [key.z85] + (list.subjects[name].map { ["subjects=\(SubjectList(Array($0)))"] } ?? []) + [name]
        }.map { $0.joined(separator: " ") }
        do {
            let again = try CurveAllowList.parse(lines.joined(separator: "\n"), source: "fuzz")
            return again == list ? nil : "the allow-list changed when written out and read back"
        } catch {
            return "the allow-list written out does not read back: \(error)"
        }
    }

    static func seeds() -> [[UInt8]] {
        let a = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
        let b = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
        return [
            "# sensors\n\(a)  wrist-7        subjects=7\n\(b)  kinect-ward-2  subjects=1-40,99\n",
            "\(a)\n\n# comment\n\(b) consumer one\n", "# cmc CURVE public key (Z85).\n\(a)\n",
            "# cmc CURVE secret key (Z85). Keep it private.\nJTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\n",
        ]
        .map { Array($0.utf8) }
    }
}
