import CMCVNNI

/// A K × N matrix of signed bytes, laid out for `vpdpbusd` (`VNNIKernel`): rows in groups of four, each
/// group holding each column's four bytes together, in panels of 32 columns that run down all groups
/// (`VNNIKernel.panel`); rows padded with zeros to a multiple of 4, columns to a multiple of 16.
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
                packed[Self.index(row: k, column: j, groups: groups, paddedColumns: paddedColumns)] = v
                sums[j] += Int32(v)
            }
        }
        bytes = packed
        columnSums = sums
    }

    public subscript(row: Int, column: Int) -> Int8 {
        bytes[Self.index(row: row, column: column, groups: groups, paddedColumns: paddedColumns)]
    }

    /// Where `b[row][column]` is packed: its panel, its group's run of the panel's columns, its byte of four.
    static func index(row: Int, column: Int, groups: Int, paddedColumns: Int) -> Int {
        let (offset, width) = VNNIKernel.panel(column: column, groups: groups, paddedColumns: paddedColumns)
        return offset + ((row / 4) * width + column % VNNIKernel.panelColumns) * 4 + row % 4
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
        #if arch(x86_64)
            if vnni, rows > 0, b.groups > 0 {
                // The kernel writes every result: no zero fill first.
                return [Int32](unsafeUninitializedCapacity: rows * b.paddedColumns) { pc, initialised in
                    a.withUnsafeBufferPointer { pa in
                        b.bytes.withUnsafeBufferPointer { pb in
                            VNNIKernel.multiply(
                                pa.baseAddress!, rows: rows, stride: stride, groups: b.groups, pb.baseAddress!,
                                paddedColumns: b.paddedColumns, pc.baseAddress!)
                        }
                    }
                    initialised = rows * b.paddedColumns
                }
            }
        #endif
        var c = [Int32](repeating: 0, count: rows * b.paddedColumns)
        for i in 0..<rows {
            for k in 0..<b.rows {
                let x = Int32(a[i * stride + k])
                for j in 0..<b.columns { c[i * b.paddedColumns + j] += x * Int32(b[k, j]) }
            }
        }
        return c
    }
}

extension Int8MatMul {
    /// `ByteConversions.quantise`, on AVX-512 when `vnni`.
    static func quantise(
        _ source: UnsafePointer<Float>, count: Int, inverseScale: Float, zeroPoint: Float,
        into target: UnsafeMutablePointer<UInt8>, vnni: Bool = CPUFeatures.avx512VNNI
    ) {
        #if arch(x86_64)
            if vnni {
                return VNNIKernel.quantise(
                    source, count: count, inverseScale: inverseScale, zeroPoint: zeroPoint, into: target)
            }
        #endif
        ByteConversions.quantise(source, count: count, inverseScale: inverseScale, zeroPoint: zeroPoint, into: target)
    }

    /// `ByteConversions.quantiseChannelsLast`, on AVX-512 when `vnni`.
    static func quantiseChannelsLast(
        _ source: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int, padH: Int, padW: Int,
        inverseScale: Float, zeroPoint: Float, into target: UnsafeMutablePointer<UInt8>,
        vnni: Bool = CPUFeatures.avx512VNNI
    ) {
        #if arch(x86_64)
            if vnni {
                return VNNIKernel.quantiseChannelsLast(
                    source, batch: batch, channels: channels, height: height, width: width, padH: padH, padW: padW,
                    inverseScale: inverseScale, zeroPoint: zeroPoint, into: target)
            }
        #endif
        ByteConversions.quantiseChannelsLast(
            source, batch: batch, channels: channels, height: height, width: width, padH: padH, padW: padW,
            inverseScale: inverseScale, zeroPoint: zeroPoint, into: target)
    }

    /// `ByteConversions.dequantise`, on AVX-512 when `vnni`; with `relu`, rectified (a floor of 0).
    static func dequantise(
        _ product: [Int32], rows: Int, columns: Int, factor: [Float], constant: [Float], spatial: Int? = nil,
        relu: Bool = false, vnni: Bool = CPUFeatures.avx512VNNI
    ) -> [Float] {
        let floor: Float = relu ? 0 : -.infinity
        let outputs = factor.count
        precondition(product.count >= rows * columns && columns >= outputs && constant.count == outputs)
        precondition(spatial.map { $0 > 0 && rows % $0 == 0 } ?? true, "\(rows) rows for \(spatial!) positions")
        return [Float](unsafeUninitializedCapacity: rows * outputs) { out, initialised in
            product.withUnsafeBufferPointer { p in
                factor.withUnsafeBufferPointer { f in
                    constant.withUnsafeBufferPointer { k in
                        #if arch(x86_64)
                            if vnni {
                                return VNNIKernel.dequantise(
                                    p.baseAddress!, rows: rows, columns: columns, outputs: outputs,
                                    factor: f.baseAddress!, constant: k.baseAddress!, spatial: spatial,
                                    floor: floor, into: out.baseAddress!)
                            }
                        #endif
                        ByteConversions.dequantise(
                            p.baseAddress!, rows: rows, columns: columns, outputs: outputs, factor: f.baseAddress!,
                            constant: k.baseAddress!, spatial: spatial, floor: floor, into: out.baseAddress!)
                    }
                }
            }
            initialised = rows * outputs
        }
    }
}
