import Foundation

/// Reading configuration files the way an operator needs it: every failure names the file and says
/// what is wrong — why it cannot be read, where the JSON syntax breaks (line and column), which field
/// has the wrong type. Shared by `cmcd`'s and `cmc-train`'s configurations.
public enum JSONFile {
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let file: String, reason: String
        public init(file: String, reason: String) {
            self.file = file
            self.reason = reason
        }
        public var description: String { "\(file): \(reason)" }
    }

    /// The file's bytes, or why they cannot be had (missing, a folder, no permission, …).
    public static func read(_ path: String) throws(Problem) -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Problem(file: path, reason: "cannot read it: \(String(cString: strerror(errno)))")
        }
        if info.st_mode & S_IFMT == S_IFDIR { throw Problem(file: path, reason: "is a folder, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(
                file: path,
                reason: "cannot read it: \(access(path, R_OK) == 0 ? "read failed" : String(cString: strerror(errno)))")
        }
        return data
    }

    /// The top-level JSON object of `data`; a syntax error names its line and column.
    public static func object(_ data: Data, source: String) throws(Problem) -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            let bytes = [UInt8](data)
            var scanner = SyntaxScanner(bytes)
            if let offset = scanner.firstError() {
                let (line, column) = position(of: offset, in: bytes)
                let found =
                    offset < bytes.count
                    ? "\"\(String(decoding: [bytes[offset]], as: UTF8.self))\"" : "the end of the file"
                throw Problem(
                    file: source, reason: "not valid JSON: unexpected \(found) at line \(line), column \(column)")
            }
            throw Problem(file: source, reason: "not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw Problem(file: source, reason: "the top level must be a JSON object")
        }
        return object
    }

    /// A decoding failure in terms of the configuration's fields.
    public static func explain(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let c):
            return "missing field \(path(c).isEmpty ? "" : path(c) + ".")\(key.stringValue)"
        case .typeMismatch(let type, let c): return "field \(path(c)): expected \(type)"
        case .valueNotFound(let type, let c): return "field \(path(c)): expected \(type), found null"
        case .dataCorrupted(let c): return "\(path(c).isEmpty ? "" : "field \(path(c)): ")\(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// 1-based line and column (in bytes) of `offset`.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for b in bytes.prefix(offset) {
            if b == 10 {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// A JSON (RFC 8259) recogniser that reports where the first syntax error is; it builds nothing.
    struct SyntaxScanner {
        let b: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { b = bytes }

        /// Byte offset of the first error, nil if the text is valid JSON.
        mutating func firstError() -> Int? {
            guard value(depth: 0) else { return i }
            space()
            return i == b.count ? nil : i
        }

        private mutating func space() { while i < b.count, [32, 9, 10, 13].contains(b[i]) { i += 1 } }

        private mutating func value(depth: Int) -> Bool {
            space()
            guard i < b.count, depth < 512 else { return false }
            switch b[i] {
            case UInt8(ascii: "{"): return container(close: UInt8(ascii: "}"), depth: depth, keyed: true)
            case UInt8(ascii: "["): return container(close: UInt8(ascii: "]"), depth: depth, keyed: false)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        private mutating func container(close: UInt8, depth: Int, keyed: Bool) -> Bool {
            i += 1
            space()
            if i < b.count, b[i] == close {
                i += 1
                return true
            }
            while true {
                if keyed {
                    space()
                    guard i < b.count, b[i] == UInt8(ascii: "\""), string() else { return false }
                    space()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { return false }
                    i += 1
                }
                guard value(depth: depth + 1) else { return false }
                space()
                guard i < b.count else { return false }
                if b[i] == close {
                    i += 1
                    return true
                }
                guard b[i] == UInt8(ascii: ",") else { return false }
                i += 1
            }
        }

        private mutating func string() -> Bool {
            i += 1
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "\""):
                    i += 1
                    return true
                case UInt8(ascii: "\\"): i += 2
                case 0..<32: return false
                default: i += 1
                }
            }
            return false
        }

        private mutating func literal(_ word: String) -> Bool {
            for c in word.utf8 {
                guard i < b.count, b[i] == c else { return false }
                i += 1
            }
            return true
        }

        private mutating func number() -> Bool {
            let start = i
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            let digitsStart = i
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
            guard i > digitsStart else {
                i = start
                return false
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                let f = i
                while i < b.count, (48...57).contains(b[i]) { i += 1 }
                guard i > f else { return false }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                let e = i
                while i < b.count, (48...57).contains(b[i]) { i += 1 }
                guard i > e else { return false }
            }
            return true
        }
    }
}
