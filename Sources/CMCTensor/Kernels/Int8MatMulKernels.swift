#if arch(x86_64)
    import CMCVNNI
#endif

/// A K × N matrix of signed bytes, laid out for `vpdpbusd` (`VNNIKernel`): rows in groups of four, each
/// group holding every column's four bytes together; rows padded with zeros to a multiple of 4, columns
/// to a multiple of 16.
public struct VNNIPackedMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Groups of four rows (the depth the kernel runs over).
    public let groups: Int
    public let paddedColumns: Int
    /// Σ_k b[k][j] per column: what an unsigned activation's offset adds to column j (`Int8MatMul`).
    public let columnSums: [Int32]
    let bytes: [Int8]

    /// Packs a row-major `rows × columns` matrix.
    public init(rows: Int, columns: Int, values: [Int8]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns, "matrix of \(values.count) values")
        self.rows = rows
        self.columns = columns
        groups = (rows + 3) / 4
        paddedColumns = (columns + 15) / 16 * 16
        var packed = [Int8](repeating: 0, count: groups * paddedColumns * 4)
        var sums = [Int32](repeating: 0, count: columns)
        for k in 0..<rows {
            for j in 0..<columns {
                let v = values[k * columns + j]
                packed[((k / 4) * paddedColumns + j) * 4 + k % 4] = v
                sums[j] += Int32(v)
            }
        }
        bytes = packed
        columnSums = sums
    }

    public subscript(row: Int, column: Int) -> Int8 {
        bytes[((row / 4) * paddedColumns + column) * 4 + row % 4]
    }
}

/// Unsigned-by-signed byte matrix products with 32-bit results: on AVX512-VNNI when the CPU has it,
/// otherwise (and as the tests' reference) in plain Swift.
public enum Int8MatMul {
    /// `rows × b.paddedColumns` results, row-major, of `a` (row i at `a[i * stride ..< i * stride +
    /// 4 * b.groups]`; bytes past `b.rows` are ignored) times `b`.
    public static func multiply(
        _ a: [UInt8], rows: Int, stride: Int, by b: VNNIPackedMatrix, vnni: Bool = CPUFeatures.avx512VNNI
    ) -> [Int32] {
        precondition(stride >= 4 * b.groups, "rows of \(stride) bytes, \(4 * b.groups) needed")
        precondition(rows >= 0 && a.count >= (rows > 0 ? (rows - 1) * stride + 4 * b.groups : 0), "a too short")
        var c = [Int32](repeating: 0, count: rows * b.paddedColumns)
        guard rows > 0, b.groups > 0, b.paddedColumns > 0 else { return c }
        #if arch(x86_64)
            if vnni {
                a.withUnsafeBufferPointer { pa in
                    b.bytes.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            VNNIKernel.multiply(
                                pa.baseAddress!, rows: rows, stride: stride, groups: b.groups, pb.baseAddress!,
                                paddedColumns: b.paddedColumns, pc.baseAddress!)
                        }
                    }
                }
                return c
            }
        #endif
        for i in 0..<rows {
            for k in 0..<b.rows {
                let x = Int32(a[i * stride + k])
                for j in 0..<b.columns { c[i * b.paddedColumns + j] += x * Int32(b[k, j]) }
            }
        }
        return c
    }
}
