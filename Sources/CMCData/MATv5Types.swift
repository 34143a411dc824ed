/// MATLAB array classes (`mxCLASS` codes in the MAT v5 array-flags sub-element).
public enum MATClass: UInt8, Sendable, CaseIterable {
    case cell = 1, structure = 2, object = 3, char = 4, sparse = 5
    case double = 6, single = 7
    case int8 = 8, uint8 = 9, int16 = 10, uint16 = 11, int32 = 12, uint32 = 13, int64 = 14, uint64 = 15
    case function = 16, opaque = 17

    /// Whether CMCData can read arrays of this class (dense real numeric arrays only).
    public var isNumeric: Bool { rawValue >= 6 && rawValue <= 15 }

    public var displayName: String {
        switch self {
        case .cell: return "cell array"
        case .structure: return "struct array"
        case .object: return "object"
        case .char: return "char array"
        case .sparse: return "sparse array"
        case .function: return "function handle"
        case .opaque: return "opaque object"
        default: return "\(self)"
        }
    }
}

/// MAT v5 data-element types (`miINT8` … `miUTF32`).
enum MATDataType: UInt32 {
    case int8 = 1, uint8 = 2, int16 = 3, uint16 = 4, int32 = 5, uint32 = 6, single = 7
    case double = 9, int64 = 12, uint64 = 13, matrix = 14, compressed = 15
    case utf8 = 16, utf16 = 17, utf32 = 18

    /// Bytes per element for the numeric storage types, nil for the others.
    var elementSize: Int? {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .single: return 4
        case .double, .int64, .uint64: return 8
        default: return nil
        }
    }
}

/// A dense, real, numeric MATLAB array, values widened to `Double` in MATLAB's column-major order.
///
/// MATLAB often stores a double array in a narrower type (e.g. `miUINT8` when every value is a
/// small integer); the reader widens whatever storage type it finds, so `values` is exact.
public struct MATArray: Sendable, Equatable {
    public var name: String
    /// MATLAB dimensions (at least 2), e.g. `[T, 6]` for `d_iner`.
    public var dimensions: [Int]
    public var matClass: MATClass
    public var isLogical: Bool
    /// Column-major: element `(i0, i1, …)` is at `i0 + d0*(i1 + d1*(i2 + …))`.
    public var values: [Double]

    public init(name: String, dimensions: [Int], matClass: MATClass, isLogical: Bool = false, values: [Double]) {
        self.name = name
        self.dimensions = dimensions
        self.matClass = matClass
        self.isLogical = isLogical
        self.values = values
    }

    /// Element at a MATLAB (0-based) multi-index.
    public func element(_ index: Int...) -> Double {
        precondition(index.count == dimensions.count, "index rank mismatch")
        var flat = 0
        for d in stride(from: index.count - 1, through: 0, by: -1) {
            precondition(index[d] >= 0 && index[d] < dimensions[d], "index out of bounds")
            flat = flat * dimensions[d] + index[d]
        }
        return values[flat]
    }

    /// The same array as a row-major `DataArray` with the same dimensions (a transpose of storage).
    public func rowMajor() -> DataArray {
        let rank = dimensions.count
        var out = [Float](repeating: 0, count: values.count)
        // Column-major strides of the source.
        var colStride = [Int](repeating: 1, count: rank)
        for d in 1..<max(rank, 1) { colStride[d] = colStride[d - 1] * dimensions[d - 1] }
        var index = [Int](repeating: 0, count: rank)
        for flat in 0..<values.count {
            var src = 0
            for d in 0..<rank { src += index[d] * colStride[d] }
            out[flat] = Float(values[src])
            // Increment the row-major multi-index (last axis fastest).
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < dimensions[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return DataArray(shape: dimensions, values: out)
    }
}

/// One top-level variable of a MAT file: a readable numeric array, or the reason it is not readable.
public struct MATVariable: Sendable {
    public enum Content: Sendable {
        case numeric(MATArray)
        case unsupported(reason: String)
    }

    public var name: String
    public var content: Content
}
