import CMCCore
/// Parsing of one `miMATRIX` element's sub-elements: array flags, dimensions, name, real part.
extension MATFile {
    /// Largest element count accepted for one array (guards against absurd dimension fields).
    static let maxElements = 1 << 31

    /// Returns nil for an empty `miMATRIX` (MATLAB writes these as placeholders inside cells).
    static func parseMatrix(_ reader: inout MATByteReader) throws -> MATVariable? {
        if reader.remaining == 0 { return nil }

        // Array flags: miUINT32 × 2 — class in the low byte, flag bits in the next one.
        let flagsElement = try readElement(&reader)
        guard flagsElement.type == MATDataType.uint32.rawValue, flagsElement.length == 8 else {
            throw reader.malformed(
                "array flags sub-element has type \(flagsElement.type), \(flagsElement.length) bytes (want miUINT32, 8)"
            )
        }
        let flags = UInt32(reader.load(at: flagsElement.start, count: 4))
        let classCode = UInt8(flags & 0xFF)
        let isComplex = flags & 0x0800 != 0
        let isLogical = flags & 0x0200 != 0
        guard let matClass = MATClass(rawValue: classCode) else {
            throw reader.malformed("unknown array class \(classCode)")
        }
        if matClass == .opaque {
            // Opaque objects (MATLAB classes, strings in newer files) have a different layout.
            return MATVariable(name: "?", content: .unsupported(reason: "opaque object (MATLAB class instance)"))
        }

        let dimensions = try readDimensions(&reader)
        let name = try readName(&reader)

        guard matClass.isNumeric else {
            return MATVariable(
                name: name, content: .unsupported(reason: "\(matClass.displayName) (only numeric arrays are read)"))
        }
        if isComplex {
            return MATVariable(
                name: name, content: .unsupported(reason: "complex \(matClass) array (only real arrays are read)"))
        }

        var count = 1
        for d in dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElements else {
                throw reader.malformed("variable '\(name)': dimensions \(dimensions) are too large")
            }
            count = product
        }

        guard reader.remaining >= 8 || count == 0 else {
            throw reader.malformed("variable '\(name)': real part missing")
        }
        var values = [Double]()
        if reader.remaining >= 8 {
            let real = try readElement(&reader)
            guard let type = MATDataType(rawValue: real.type), let size = type.elementSize else {
                throw reader.malformed("variable '\(name)': real part has non-numeric storage type \(real.type)")
            }
            guard real.length % size == 0, real.length / size == count else {
                throw reader.malformed(
                    "variable '\(name)': real part holds \(real.length) bytes of \(type), dimensions \(dimensions) need \(count * size)"
                )
            }
            values = decode(reader, start: real.start, count: count, type: type)
        }
        let array = MATArray(
            name: name, dimensions: dimensions, matClass: matClass, isLogical: isLogical, values: values)
        return MATVariable(name: name, content: .numeric(array))
    }

    private static func readDimensions(_ reader: inout MATByteReader) throws -> [Int] {
        let element = try readElement(&reader)
        guard element.type == MATDataType.int32.rawValue, element.length % 4 == 0, element.length >= 8 else {
            throw reader.malformed(
                "dimensions sub-element has type \(element.type), \(element.length) bytes (want miINT32, ≥ 2 dims)")
        }
        var dims = [Int]()
        for i in 0..<element.length / 4 {
            let d = Int(Int32(bitPattern: UInt32(reader.load(at: element.start + 4 * i, count: 4))))
            guard d >= 0 else { throw reader.malformed("negative dimension \(d)") }
            dims.append(d)
        }
        return dims
    }

    private static func readName(_ reader: inout MATByteReader) throws -> String {
        let element = try readElement(&reader)
        guard element.type == MATDataType.int8.rawValue || element.type == MATDataType.uint8.rawValue else {
            throw reader.malformed("array name sub-element has type \(element.type) (want miINT8)")
        }
        return String(decoding: reader.bytes[element.start..<element.start + element.length], as: UTF8.self)
    }

    /// Widens `count` stored values of `type` starting at `start` to Double (bounds already checked).
    static func decode(_ reader: MATByteReader, start: Int, count: Int, type: MATDataType) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        let size = type.elementSize ?? 1
        for i in 0..<count {
            let raw = reader.load(at: start + i * size, count: size)
            switch type {
            case .int8: out[i] = Double(Int8(truncatingIfNeeded: raw))
            case .uint8: out[i] = Double(UInt8(truncatingIfNeeded: raw))
            case .int16: out[i] = Double(Int16(truncatingIfNeeded: raw))
            case .uint16: out[i] = Double(UInt16(truncatingIfNeeded: raw))
            case .int32: out[i] = Double(Int32(truncatingIfNeeded: raw))
            case .uint32: out[i] = Double(UInt32(truncatingIfNeeded: raw))
            case .int64: out[i] = Double(Int64(bitPattern: raw))
            case .uint64: out[i] = Double(raw)
            case .single: out[i] = Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
            case .double: out[i] = Double(bitPattern: raw)
            default: out[i] = 0
            }
        }
        return out
    }
}
