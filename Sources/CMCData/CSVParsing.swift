import Foundation

/// Fast, tolerant parsing of the numeric CSV files used by SmartFallMM.
///
/// Rows that are not valid data (pandas header artefacts such as `…,Unnamed: 3` or `0.0158.1`,
/// wrong column counts, unparsable numbers or timestamps) are skipped and counted, never fatal.
/// Numbers go through `strtod` directly on the file bytes, which keeps the ~8 M values of the
/// SmartFallMM skeletons quick to load even in debug builds.
struct CSVRows {
    /// Parsed rows, flattened: `rowCount × columns` values.
    var values: [Double] = []
    var rowCount = 0
    /// Timestamps in seconds since 1970 (only for timestamped files).
    var timestamps: [Double] = []
    /// 1-based line numbers and (truncated) text of skipped rows.
    var junk: [(line: Int, text: String)] = []

    /// Reads a file whose rows hold `columns` numbers, optionally preceded by a timestamp field.
    static func read(path: String, columns: Int, timestamped: Bool) throws -> CSVRows {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.io(file: path, reason: "file missing or not readable")
        }
        var bytes = [UInt8](data)
        bytes.append(0) // strtod needs a terminator after the last field.
        return parse(bytes: bytes, columns: columns, timestamped: timestamped)
    }

    /// `bytes` must end with a 0 byte.
    static func parse(bytes: [UInt8], columns: Int, timestamped: Bool) -> CSVRows {
        var out = CSVRows()
        let n = bytes.count - 1
        var rowValues = [Double](repeating: 0, count: columns)
        bytes.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress!
            var lineStart = 0
            var lineNumber = 0
            while lineStart < n {
                var lineEnd = lineStart
                while lineEnd < n && buf[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                lineNumber += 1
                var contentEnd = lineEnd
                if contentEnd > lineStart && buf[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                defer { lineStart = lineEnd + 1 }
                if contentEnd == lineStart { continue } // blank line

                var pos = lineStart
                var ok = true
                var timestamp = 0.0
                if timestamped {
                    var fieldEnd = pos
                    while fieldEnd < contentEnd && buf[fieldEnd] != UInt8(ascii: ",") { fieldEnd += 1 }
                    if let t = parseTimestamp(buf, from: pos, to: fieldEnd), fieldEnd < contentEnd {
                        timestamp = t
                        pos = fieldEnd + 1
                    } else {
                        ok = false
                    }
                }
                var col = 0
                while ok && col < columns {
                    var endPtr: UnsafeMutablePointer<CChar>?
                    let start = UnsafeMutableRawPointer(mutating: base + pos).assumingMemoryBound(to: CChar.self)
                    let v = strtod(start, &endPtr)
                    let consumed = endPtr.map { UnsafeRawPointer($0) - UnsafeRawPointer(start) } ?? 0
                    let fieldEnd = pos + consumed
                    let delimiterOK =
                        col == columns - 1
                        ? fieldEnd == contentEnd
                        : (fieldEnd < contentEnd && buf[fieldEnd] == UInt8(ascii: ","))
                    guard consumed > 0, delimiterOK, v.isFinite else {
                        ok = false
                        break
                    }
                    rowValues[col] = v
                    pos = fieldEnd + 1
                    col += 1
                }
                if ok {
                    out.values.append(contentsOf: rowValues)
                    if timestamped { out.timestamps.append(timestamp) }
                    out.rowCount += 1
                } else {
                    let text = String(decoding: buf[lineStart..<min(contentEnd, lineStart + 80)], as: UTF8.self)
                    out.junk.append((lineNumber, text))
                }
            }
        }
        return out
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.fff…]` (any number of fraction digits) to seconds since 1970 UTC.
    static func parseTimestamp(_ buf: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Double? {
        var pos = start
        func number(_ digits: Int) -> Int? {
            guard pos + digits <= end else { return nil }
            var v = 0
            for _ in 0..<digits {
                let d = Int(buf[pos]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
                pos += 1
            }
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard pos < end, buf[pos] == c.asciiValue! else { return false }
            pos += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect(" ") || expect("T"), let hour = number(2), expect(":"), let minute = number(2),
            expect(":"), let second = number(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if pos < end {
            guard expect(".") else { return nil }
            var scale = 0.1
            var digits = 0
            while pos < end {
                let d = Int(buf[pos]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                fraction += Double(d) * scale
                scale /= 10
                pos += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
