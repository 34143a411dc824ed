import CMCVNNI

/// `x · W + bias` in int8: the weights quantised once, symmetrically per output column, to signed bytes;
/// each input quantised per call, over the whole batch, to unsigned bytes with a zero point
/// (`ByteQuantisation`, the unsigned operand of `vpdpbusd`). The product runs in 32-bit integers
/// (`Int8MatMul`), exact; the error is the two roundings alone, at most half a step of each operand per
/// term (`errorBound`).
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

    /// `x`: `rows × inFeatures`; with `relu`, rectified as the results are converted back to floats.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, vnni: Bool = CPUFeatures.avx512VNNI) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inFeatures, "input of shape \(x.shape) for \(inFeatures) features")
        let rows = x.shape[0]
        let q = ByteQuantisation(x)
        let stride = 4 * weights.groups
        var a = [UInt8](repeating: q.zeroPoint, count: rows * stride)
        x.storage.withUnsafeBufferPointer { px in
            a.withUnsafeMutableBufferPointer { pa in
                for i in 0..<rows {
                    q.quantise(
                        px.baseAddress! + i * inFeatures, count: inFeatures, into: pa.baseAddress! + i * stride,
                        vnni: vnni)
                }
            }
        }
        let c = Int8MatMul.multiply(a, rows: rows, stride: stride, by: weights, vnni: vnni)
        let (factor, constant) = dequantisation(input: q)
        let out = Int8MatMul.dequantise(
            c, rows: rows, columns: weights.paddedColumns, factor: factor, constant: constant, relu: relu, vnni: vnni)
        return Tensor(shape: [rows, outFeatures], storage: out)
    }

    /// Output column j of a product of inputs quantised by `input` is `Float(c) · factor[j] + constant[j]`:
    /// Σ (q − z) w = Σ q w − z Σ w, so the zero point's share folds into the column's constant, with the bias.
    func dequantisation(input: ByteQuantisation) -> (factor: [Float], constant: [Float]) {
        var factor = [Float](repeating: 0, count: outFeatures)
        var constant = [Float](repeating: 0, count: outFeatures)
        for j in 0..<outFeatures {
            factor[j] = input.scale * weightScales[j]
            constant[j] = (bias?[j] ?? 0) - Float(Int32(input.zeroPoint) * weights.columnSums[j]) * factor[j]
        }
        return (factor, constant)
    }

    /// The largest difference from the float product each output can show: per term half a step of
    /// the input times the weight, half a step of the weight times the input, and both half steps.
    public func errorBound(_ x: Tensor, exactWeight w: Tensor) -> [Float] {
        let scale = ByteQuantisation(x).scale
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

/// How a float tensor maps to unsigned bytes: v ≈ (byte − zeroPoint) · scale, the bytes spanning the
/// tensor's range. Zero is exact (it is the zero point, which pads convolutions), and a tensor that never
/// goes negative, as after a ReLU, gets all 256 steps.
public struct ByteQuantisation: Sendable, Equatable {
    public let scale: Float
    public let zeroPoint: UInt8

    public init(_ x: Tensor, vnni: Bool = CPUFeatures.avx512VNNI) {
        var (lo, hi): (Float, Float) = (0, 0)
        x.storage.withUnsafeBufferPointer { p in
            #if arch(x86_64)
                if vnni, let base = p.baseAddress {
                    (lo, hi) = VNNIKernel.range(base, count: p.count)
                    return
                }
            #endif
            // Sixteen lanes at a time: a scalar `min`/`max` reduction does not vectorise (NaN ordering).
            var (low, high) = (SIMD16<Float>(repeating: 0), SIMD16<Float>(repeating: 0))
            var i = 0
            while i + 16 <= p.count {
                let v = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD16<Float>.self)
                low.replace(with: v, where: v .< low)
                high.replace(with: v, where: v .> high)
                i += 16
            }
            (lo, hi) = (low.min(), high.max())
            while i < p.count {
                (lo, hi) = (Swift.min(lo, p[i]), Swift.max(hi, p[i]))
                i += 1
            }
        }
        guard lo.isFinite && hi.isFinite && hi > lo else {
            (scale, zeroPoint) = (1, 0)
            return
        }
        scale = (hi - lo) / 255
        zeroPoint = UInt8(Swift.max(0, Swift.min(255, (-lo / scale).rounded())))
    }

    /// `count` values from `source` to bytes at `target` (`ByteConversions.quantise`).
    @inline(__always)
    func quantise(
        _ source: UnsafePointer<Float>, count: Int, into target: UnsafeMutablePointer<UInt8>,
        vnni: Bool = CPUFeatures.avx512VNNI
    ) {
        Int8MatMul.quantise(
            source, count: count, inverseScale: 1 / scale, zeroPoint: Float(zeroPoint), into: target, vnni: vnni)
    }
}
