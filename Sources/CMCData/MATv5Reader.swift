import CMCCore
import Foundation

/// A MATLAB MAT-file, level 5 (the `-v6`/`-v7` formats written by `save` and `scipy.io.savemat`).
///
/// Handles: both endiannesses, zlib-compressed elements (`miCOMPRESSED`), uncompressed matrices,
/// small-element (packed 4-byte) tags, every numeric storage type, and the numeric array classes
/// (`double`, `single`, `int8` … `uint64`, logical). Anything else is reported, not guessed:
/// MAT v7.3 (HDF5) and v4 files fail with `DataError.unsupported`; complex, sparse, struct, cell,
/// char and object variables are listed with the reason they cannot be read. Truncated or
/// inconsistent input throws `DataError.malformed` — every length is checked before it is used.
///
/// ```swift
/// let mat = try MATFile(contentsOf: "a1_s1_t1_inertial.mat")
/// let iner = try mat.array(named: "d_iner")   // dimensions [T, 6], column-major values
/// ```
public struct MATFile: Sendable {
    public let source: String
    public let headerText: String
    public let bigEndian: Bool
    public let variables: [MATVariable]

    /// Reads and parses a file from disk.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.io(file: path, reason: "file missing or not readable")
        }
        try self.init(bytes: [UInt8](data), source: path)
    }

    /// Parses an in-memory MAT file; `source` names it in errors.
    public init(bytes: [UInt8], source: String) throws {
        self.source = source
        let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        let text = String(decoding: bytes.prefix(116), as: UTF8.self)
        if text.hasPrefix("MATLAB 7.3") || bytes.starts(with: hdf5Signature)
            || (bytes.count >= 520 && Array(bytes[512..<520]) == hdf5Signature)
        {
            throw DataError.unsupported(
                file: source,
                reason:
                    "MAT v7.3 (HDF5) file; re-save it in MATLAB with `save(..., '-v7')` or convert it with h5py")
        }
        guard bytes.count >= 128 else {
            throw DataError.malformed(
                file: source, reason: "\(bytes.count) bytes is too short for a MAT v5 header (128)")
        }
        let indicator = (bytes[126], bytes[127])
        switch indicator {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): bigEndian = false
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): bigEndian = true
        default:
            throw DataError.unsupported(
                file: source,
                reason:
                    "not a MAT v5 file (no endian indicator at bytes 126-127; MAT v4 or another format)")
        }
        headerText = text.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        var reader = MATByteReader(bytes: bytes, file: source, bigEndian: bigEndian, offset: 124)
        let version = try reader.u16("version")
        if version == 0x0200 {
            throw DataError.unsupported(file: source, reason: "MAT v7.3 (HDF5) file (version field 0x0200)")
        }
        guard version == 0x0100 else {
            throw DataError.unsupported(
                file: source, reason: "unknown MAT version field 0x\(String(version, radix: 16))")
        }
        try reader.skip(2, "endian indicator")
        var vars = [MATVariable]()
        try MATFile.parseElements(&reader, into: &vars, allowCompressed: true)
        variables = vars
    }

    /// The numeric array called `name` (or the first variable when `name` is nil).
    public func array(named name: String? = nil) throws -> MATArray {
        let candidates = name.map { n in variables.filter { $0.name == n } } ?? Array(variables.prefix(1))
        guard let variable = candidates.first else {
            let names = variables.map(\.name).joined(separator: ", ")
            throw DataError.missing(
                file: source,
                reason:
                    "no variable \(name.map { "'\($0)'" } ?? "at all") (has: \(names.isEmpty ? "none" : names))")
        }
        switch variable.content {
        case .numeric(let array): return array
        case .unsupported(let reason):
            throw DataError.unsupported(file: source, reason: "variable '\(variable.name)': \(reason)")
        }
    }

    // MARK: - Elements

    /// A data element's type and where its payload lies in the buffer.
    struct Element {
        var type: UInt32
        var start: Int
        var length: Int
    }

    /// Reads one element tag (normal 8-byte or packed small form) and advances past its payload.
    static func readElement(_ reader: inout MATByteReader) throws -> Element {
        let tagOffset = reader.offset
        let first = try reader.u32("element tag")
        // Small-element form: the upper 16 bits of the first word hold the byte count (1…4) and
        // the data sits in the tag's second word.
        if first >> 16 != 0 {
            let count = Int(first >> 16)
            guard count <= 4 else {
                throw reader.malformed("small element at offset \(tagOffset) claims \(count) bytes (max 4)")
            }
            let start = reader.offset
            try reader.skip(4, "small element data")
            return Element(type: first & 0xFFFF, start: start, length: count)
        }
        let length = Int(try reader.u32("element length"))
        let start = reader.offset
        try reader.require(length, "element of type \(first) at offset \(tagOffset)")
        try reader.skip(length, "element data")
        // Uncompressed payloads are padded to a multiple of 8 bytes; MATLAB writes compressed ones
        // unpadded. Padding is relative to the element, not the buffer: an element that follows an
        // unpadded compressed one need not start on an absolute 8-byte boundary.
        if first != MATDataType.compressed.rawValue { reader.skipPadding(after: length) }
        return Element(type: first, start: start, length: length)
    }

    static func parseElements(_ reader: inout MATByteReader, into vars: inout [MATVariable], allowCompressed: Bool)
        throws
    {
        while reader.remaining >= 8 {
            let element = try readElement(&reader)
            switch MATDataType(rawValue: element.type) {
            case .compressed:
                guard allowCompressed else {
                    throw reader.malformed("nested compressed element at offset \(element.start - 8)")
                }
                let inflated = try zlibInflate(
                    reader.bytes[element.start..<element.start + element.length],
                    file: reader.file)
                var inner = reader.reading(inflated)
                try parseElements(&inner, into: &vars, allowCompressed: false)
            case .matrix:
                var sub = reader.window(offset: element.start, end: element.start + element.length)
                if let variable = try parseMatrix(&sub) { vars.append(variable) }
            default:
                // Top-level non-matrix elements carry no variables (MATLAB never writes them); skip.
                continue
            }
        }
        // A non-empty tail shorter than a tag is damage, not padding, unless it is all zeros.
        if reader.remaining > 0, reader.bytes[reader.offset..<reader.end].contains(where: { $0 != 0 }) {
            throw reader.malformed("\(reader.remaining) trailing bytes do not form an element")
        }
    }
}
