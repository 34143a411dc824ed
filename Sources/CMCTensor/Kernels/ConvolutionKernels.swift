/// 2-D convolution as im2col + one GEMM over the whole batch (1-D convolution is the H = 1 case).
///
/// The column matrix is laid out (C·kh·kw) × (B·Ho·Wo) so that a single large sgemm covers the batch:
/// large GEMMs are where OpenBLAS is efficient, and they parallelise across BLAS threads.
public struct ConvGeometry: Sendable, Equatable {
    public let batch: Int, inChannels: Int, height: Int, width: Int
    public let outChannels: Int, kernelH: Int, kernelW: Int
    public let strideH: Int, strideW: Int, padH: Int, padW: Int
    public var outH: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    public var outW: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    var patch: Int { inChannels * kernelH * kernelW }
    var columns: Int { batch * outH * outW }

    public init(input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int)) {
        precondition(input.count == 4 && weight.count == 4, "conv2d wants (B,C,H,W) input and (O,C,kh,kw) weight")
        precondition(input[1] == weight[1], "conv2d input has \(input[1]) channels, weight expects \(weight[1])")
        batch = input[0]
        inChannels = input[1]
        height = input[2]
        width = input[3]
        outChannels = weight[0]
        kernelH = weight[2]
        kernelW = weight[3]
        strideH = stride.0
        strideW = stride.1
        padH = padding.0
        padW = padding.1
        precondition(
            height + 2 * padH >= kernelH && width + 2 * padW >= kernelW,
            "conv2d kernel \(kernelH)×\(kernelW) larger than padded input \(height)×\(width)")
    }
}

extension Kernels {
    /// The output columns `xx` whose input column `xx·stride − pad + j` lies inside [0, width).
    @inline(__always)
    static func validRange(out: Int, size: Int, stride: Int, pad: Int, offset j: Int) -> Range<Int> {
        // xx·s − p + j ≥ 0  ⇔  xx ≥ ⌈(p − j)/s⌉;   xx·s − p + j < size  ⇔  xx < ⌈(size + p − j)/s⌉
        func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
        let lo = Swift.max(0, ceilDiv(pad - j, stride))
        let hi = Swift.min(out, ceilDiv(size + pad - j, stride))
        return lo..<Swift.max(lo, hi)
    }

    /// Unfolds input patches into columns: col[(c,i,j), (b,oh,ow)]. Each output row is a zero
    /// border around a strided copy, with the valid span computed once per kernel offset rather
    /// than tested per element.
    static func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ col: UnsafeMutablePointer<Float>) {
        let oh = g.outH
        let ow = g.outW
        let cols = g.columns
        let hw = g.height * g.width
        // Unpadded, unit-stride, full-width kernels: each column row is one contiguous input block.
        let contiguous = g.kernelW == 1 && g.padW == 0 && g.padH == 0 && g.strideH == 1 && g.strideW == 1
        for c in 0..<g.inChannels {
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + i) * g.kernelW + j) * cols
                    if contiguous {
                        for b in 0..<g.batch {
                            (row + b * oh * ow).update(
                                from: x + (b * g.inChannels + c) * hw + i * g.width, count: oh * ow)
                        }
                        continue
                    }
                    let valid = validRange(out: ow, size: g.width, stride: g.strideW, pad: g.padW, offset: j)
                    let (lo, hi) = (valid.lowerBound, valid.upperBound)
                    for b in 0..<g.batch {
                        let plane = x + (b * g.inChannels + c) * hw
                        let dstB = row + b * oh * ow
                        for y in 0..<oh {
                            let iy = y * g.strideH - g.padH + i
                            let dst = dstB + y * ow
                            if iy < 0 || iy >= g.height {
                                for xx in 0..<ow { dst[xx] = 0 }
                                continue
                            }
                            // Rows are short (tens of values): plain loops beat memcpy/memset calls.
                            let src = plane + iy * g.width - g.padW + j
                            for xx in 0..<lo { dst[xx] = 0 }
                            if g.strideW == 1 {
                                for xx in lo..<hi { dst[xx] = src[xx] }
                            } else {
                                for xx in lo..<hi { dst[xx] = src[xx * g.strideW] }
                            }
                            for xx in hi..<ow { dst[xx] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: scatters (adds) columns back into an input-shaped gradient.
    static func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, _ dx: UnsafeMutablePointer<Float>) {
        let oh = g.outH
        let ow = g.outW
        let cols = g.columns
        let hw = g.height * g.width
        for c in 0..<g.inChannels {
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let row = col + ((c * g.kernelH + i) * g.kernelW + j) * cols
                    let valid = validRange(out: ow, size: g.width, stride: g.strideW, pad: g.padW, offset: j)
                    for b in 0..<g.batch {
                        let plane = dx + (b * g.inChannels + c) * hw
                        let srcB = row + b * oh * ow
                        for y in 0..<oh {
                            let iy = y * g.strideH - g.padH + i
                            if iy < 0 || iy >= g.height { continue }
                            let dst = plane + iy * g.width - g.padW + j
                            let src = srcB + y * ow
                            if g.strideW == 1 {
                                for xx in valid { dst[xx] += src[xx] }
                            } else {
                                for xx in valid { dst[xx * g.strideW] += src[xx] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` with the column matrix of `x`. A 1×1, stride-1, unpadded convolution of a single
    /// image needs no unfolding: the input already is its column matrix.
    static func withColumns<R>(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ body: (UnsafePointer<Float>) -> R) -> R {
        if g.batch == 1 && g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padH == 0
            && g.padW == 0
        {
            return body(x)
        }
        let n = g.patch * g.columns
        let col = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { col.deallocate() }
        im2col(x, g, col)
        return body(col)
    }

    /// y[b,o,oh,ow] = Σ w[o,c,i,j]·x[b,c,…] + bias[o].
    public static func conv2d(_ x: Tensor, _ w: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int))
        -> Tensor
    {
        let g = ConvGeometry(input: x.shape, weight: w.shape, stride: stride, padding: padding)
        let spatial = g.outH * g.outW
        let n = g.outChannels * g.columns
        var prod = [Float](unsafeUninitializedCapacity: n) { pp, count in
            count = n
            w.storage.withUnsafeBufferPointer { pw in
                x.storage.withUnsafeBufferPointer { px in
                    withColumns(px.baseAddress!, g) { pc in
                        BLAS.gemm(
                            m: g.outChannels, n: g.columns, k: g.patch,
                            a: pw.baseAddress!, b: pc, c: pp.baseAddress!)
                    }
                }
            }
        }
        let bias = bias?.storage
        let outShape = [g.batch, g.outChannels, g.outH, g.outW]
        if g.batch == 1 {
            // (O, 1·S) already is the (1, O, S) layout: add the bias in place, no reordering copy.
            if let bias {
                prod.withUnsafeMutableBufferPointer { pp in
                    for o in 0..<g.outChannels {
                        let bo = bias[o]
                        let base = o * spatial
                        for s in 0..<spatial { pp[base + s] += bo }
                    }
                }
            }
            return Tensor(shape: outShape, storage: prod)
        }
        // (O, B, S) → (B, O, S), adding the bias on the way.
        let out = [Float](unsafeUninitializedCapacity: n) { po, count in
            count = n
            prod.withUnsafeBufferPointer { pp in
                for o in 0..<g.outChannels {
                    let bo = bias?[o] ?? 0
                    for b in 0..<g.batch {
                        let src = (o * g.batch + b) * spatial
                        let dst = (b * g.outChannels + o) * spatial
                        for s in 0..<spatial { po[dst + s] = pp[src + s] + bo }
                    }
                }
            }
        }
        return Tensor(shape: outShape, storage: out)
    }

    /// Gradients of conv2d with respect to input, weight and bias, given the output gradient.
    public static func conv2dBackward(
        _ x: Tensor, _ w: Tensor, _ dy: Tensor, stride: (Int, Int), padding: (Int, Int),
        needInput: Bool = true
    ) -> (dx: Tensor?, dw: Tensor, db: Tensor) {
        let g = ConvGeometry(input: x.shape, weight: w.shape, stride: stride, padding: padding)
        let spatial = g.outH * g.outW
        // dy (B, O, S) → (O, B·S)
        var dyT = [Float].uninitialized(g.outChannels * g.columns)
        var db = [Float](repeating: 0, count: g.outChannels)
        dy.storage.withUnsafeBufferPointer { pd in
            dyT.withUnsafeMutableBufferPointer { pt in
                for b in 0..<g.batch {
                    for o in 0..<g.outChannels {
                        let src = pd.baseAddress! + (b * g.outChannels + o) * spatial
                        (pt.baseAddress! + (o * g.batch + b) * spatial).update(from: src, count: spatial)
                        db[o] += Float(VectorSums.sum(src, spatial))
                    }
                }
            }
        }
        var col = [Float].uninitialized(g.patch * g.columns) // im2col writes every element
        x.storage.withUnsafeBufferPointer { px in
            col.withUnsafeMutableBufferPointer { pc in im2col(px.baseAddress!, g, pc.baseAddress!) }
        }
        var dw = [Float].uninitialized(w.count) // sgemm with beta 0 writes every element
        dyT.withUnsafeBufferPointer { pt in
            col.withUnsafeBufferPointer { pc in
                dw.withUnsafeMutableBufferPointer { pw in
                    BLAS.gemm(
                        transB: true, m: g.outChannels, n: g.patch, k: g.columns,
                        a: pt.baseAddress!, b: pc.baseAddress!, c: pw.baseAddress!)
                }
            }
        }
        var dx: Tensor? = nil
        if needInput {
            // dcol = Wᵀ · dyT, reusing the column buffer.
            w.storage.withUnsafeBufferPointer { pw in
                dyT.withUnsafeBufferPointer { pt in
                    col.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(
                            transA: true, m: g.patch, n: g.columns, k: g.outChannels,
                            a: pw.baseAddress!, b: pt.baseAddress!, c: pc.baseAddress!)
                    }
                }
            }
            var dxs = [Float](repeating: 0, count: x.count)
            col.withUnsafeBufferPointer { pc in
                dxs.withUnsafeMutableBufferPointer { pd in col2im(pc.baseAddress!, g, pd.baseAddress!) }
            }
            dx = Tensor(shape: x.shape, storage: dxs)
        }
        return (dx, Tensor(shape: w.shape, storage: dw), Tensor(shape: [g.outChannels], storage: db))
    }
}
