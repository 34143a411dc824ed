/// `x · W + bias` in int8: the weights quantised once, symmetrically per output column, to signed bytes;
/// each input quantised per call, symmetrically over the whole batch, to bytes offset by 128 (the
/// unsigned operand of `vpdpbusd`). The product runs in 32-bit integers (`Int8MatMul`), exact; the error
/// is the two roundings alone, at most half a step of each operand per term (`errorBound`).
public struct QuantizedLinear: Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weights: VNNIPackedMatrix
    /// Per output column: weight = byte × scale.
    public let weightScales: [Float]
    public let bias: [Float]?

    /// - Parameter weight: `inFeatures × outFeatures` (as `x · W` uses it).
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2, "weight of shape \(weight.shape)")
        let (k, n) = (weight.shape[0], weight.shape[1])
        precondition(bias == nil || bias!.count == n, "bias of \(bias!.count) for \(n) outputs")
        var scales = [Float](repeating: 1, count: n)
        for j in 0..<n {
            var peak: Float = 0
            for i in 0..<k { peak = max(peak, abs(weight.storage[i * n + j])) }
            if peak > 0 { scales[j] = peak / 127 }
        }
        var bytes = [Int8](repeating: 0, count: k * n)
        let inverses = scales.map { 1 / $0 }
        for i in 0..<k {
            for j in 0..<n { bytes[i * n + j] = Self.quantise(weight.storage[i * n + j], inverseScale: inverses[j]) }
        }
        inFeatures = k
        outFeatures = n
        weights = VNNIPackedMatrix(rows: k, columns: n, values: bytes)
        weightScales = scales
        self.bias = bias?.storage
    }

    /// The input's scale: its largest magnitude maps to 127.
    public static func inputScale(_ x: Tensor) -> Float {
        // OpenBLAS's isamax is vectorised; a Swift `max` reduction is not (NaN ordering).
        guard !x.storage.isEmpty else { return 1 }
        let peak = x.storage.withUnsafeBufferPointer { abs($0[BLAS.indexOfLargestMagnitude($0)]) }
        return peak > 0 && peak.isFinite ? peak / 127 : 1
    }

    /// `x`: `rows × inFeatures`.
    public func callAsFunction(_ x: Tensor, vnni: Bool = CPUFeatures.avx512VNNI) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inFeatures, "input of shape \(x.shape) for \(inFeatures) features")
        let rows = x.shape[0]
        let scale = Self.inputScale(x)
        let stride = 4 * weights.groups
        var a = [UInt8](repeating: 128, count: rows * stride)
        let inverse = 1 / scale
        x.storage.withUnsafeBufferPointer { px in
            a.withUnsafeMutableBufferPointer { pa in
                for i in 0..<rows {
                    let from = px.baseAddress! + i * inFeatures
                    let to = pa.baseAddress! + i * stride
                    for k in 0..<inFeatures {
                        to[k] = UInt8(Int(Self.quantise(from[k], inverseScale: inverse)) + 128)
                    }
                }
            }
        }
        let c = Int8MatMul.multiply(a, rows: rows, stride: stride, by: weights, vnni: vnni)
        // Σ (q + 128) w − 128 Σ w = Σ q w: the offset's share folds into each column's constant.
        var factor = [Float](repeating: 0, count: outFeatures)
        var constant = [Float](repeating: 0, count: outFeatures)
        for j in 0..<outFeatures {
            factor[j] = scale * weightScales[j]
            constant[j] = (bias?[j] ?? 0) - Float(128 * weights.columnSums[j]) * factor[j]
        }
        var out = [Float](repeating: 0, count: rows * outFeatures)
        c.withUnsafeBufferPointer { pc in
            out.withUnsafeMutableBufferPointer { po in
                for i in 0..<rows {
                    let from = pc.baseAddress! + i * weights.paddedColumns
                    let to = po.baseAddress! + i * outFeatures
                    for j in 0..<outFeatures { to[j] = Float(from[j]) * factor[j] + constant[j] }
                }
            }
        }
        return Tensor(shape: [rows, outFeatures], storage: out)
    }

    /// The largest difference from the float product each output can show: per term half a step of
    /// the input times the weight, half a step of the weight times the input, and both half steps.
    public func errorBound(_ x: Tensor, exactWeight w: Tensor) -> [Float] {
        let scale = Self.inputScale(x)
        let rows = x.shape[0]
        var bound = [Float](repeating: 0, count: rows * outFeatures)
        for i in 0..<rows {
            for j in 0..<outFeatures {
                var b: Float = 0
                for k in 0..<inFeatures {
                    b +=
                        abs(x.storage[i * inFeatures + k]) * weightScales[j] / 2
                        + abs(w.storage[k * outFeatures + j]) * scale / 2 + scale * weightScales[j] / 4
                }
                bound[i * outFeatures + j] = b
            }
        }
        return bound
    }

    /// `v / scale` to the nearest byte in −127…127, half to even. Rounded by adding and removing
    /// 1.5 · 2^23 (exact for |v| ≤ 127): that vectorises, where `rounded()` is a call to `roundf` / `rintf`
    /// per element on the baseline x86-64 this builds for.
    @inline(__always)
    static func quantise(_ v: Float, inverseScale: Float) -> Int8 {
        let magic: Float = 12_582_912
        return Int8((max(-127, min(127, v * inverseScale)) + magic) - magic)
    }
}
