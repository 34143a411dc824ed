import CMCCore

/// The MAT v5 reader's cursor: a `ByteReader` whose short reads are `DataError.malformed` naming the file,
/// the field and the offset (input files are untrusted; a truncated download must not crash a training run).
typealias MATByteReader = ByteReader<DataError>

extension ByteReader where Failure == DataError {
    init(bytes: [UInt8], file: String, bigEndian: Bool, offset: Int = 0, end: Int? = nil) {
        self.init(bytes, source: file, bigEndian: bigEndian, offset: offset, end: end) { t in
            .malformed(
                file: file,
                reason: "truncated: \(t.field) needs \(t.needed) bytes at offset \(t.offset), \(t.available) left")
        }
    }

    var file: String { source }

    func malformed(_ reason: String) -> DataError { .malformed(file: source, reason: reason) }
}
