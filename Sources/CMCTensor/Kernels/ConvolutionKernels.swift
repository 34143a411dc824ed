/// 2-D convolution as im2col + GEMM (1-D convolution is the H = 1 case).
///
/// The column matrix of a group of samples is laid out (C·kh·kw) × (n·Ho·Wo), so one sgemm covers the
/// group. Batches are processed in groups whose column matrix stays in cache (`chunkSamples`): unfolding
/// the whole training batch at once wrote, and read back, up to 64 MB of columns per convolution.
public struct ConvGeometry: Sendable, Equatable {
    public let batch: Int, inChannels: Int, height: Int, width: Int
    public let outChannels: Int, kernelH: Int, kernelW: Int
    public let strideH: Int, strideW: Int, padH: Int, padW: Int
    public var outH: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    public var outW: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    var patch: Int { inChannels * kernelH * kernelW }
    var columns: Int { batch * outH * outW }

    /// The same convolution over `n` samples.
    func withBatch(_ n: Int) -> ConvGeometry {
        ConvGeometry(
            input: [n, inChannels, height, width], weight: [outChannels, inChannels, kernelH, kernelW],
            stride: (strideH, strideW), padding: (padH, padW))
    }

    /// Samples per group: as many as keep a group's column matrix within `budget` floats (2 MB, about
    /// what stays in L2/L3 between im2col writing it and the GEMM reading it), at least one.
    func chunkSamples(budget: Int = 1 << 19) -> Int {
        Swift.max(1, Swift.min(batch, budget / Swift.max(1, patch * outH * outW)))
    }

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
        let outShape = [g.batch, g.outChannels, g.outH, g.outW]
        if g.batch > 1 && g.unfoldsKernelRows {
            return Tensor(shape: outShape, storage: conv2dKernelRows(x, w, bias: bias?.storage, g))
        }
        if g.batch > 1 { return Tensor(shape: outShape, storage: conv2dBatched(x, w, bias: bias?.storage, g)) }
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
        // (O, 1·S) already is the (1, O, S) layout: add the bias in place, no reordering copy.
        if let bias = bias?.storage {
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

    /// The forward pass over a batch, group by group: unfold a group, one GEMM into a group-sized
    /// (O, n, S) buffer, then copy it to the (n, O, S) output adding the bias.
    static func conv2dBatched(_ x: Tensor, _ w: Tensor, bias: [Float]?, _ g: ConvGeometry) -> [Float] {
        let spatial = g.outH * g.outW
        let chunk = g.chunkSamples()
        let inPlane = g.inChannels * g.height * g.width
        var out = [Float].uninitialized(g.batch * g.outChannels * spatial)
        var prod = [Float].uninitialized(g.outChannels * chunk * spatial)
        var col = [Float].uninitialized(g.withBatch(chunk).patch * chunk * spatial)
        x.storage.withUnsafeBufferPointer { px in
            w.storage.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    prod.withUnsafeMutableBufferPointer { pp in
                        col.withUnsafeMutableBufferPointer { pc in
                            for b0 in Swift.stride(from: 0, to: g.batch, by: chunk) {
                                let n = Swift.min(chunk, g.batch - b0)
                                let cg = g.withBatch(n)
                                im2col(px.baseAddress! + b0 * inPlane, cg, pc.baseAddress!)
                                BLAS.gemm(
                                    m: g.outChannels, n: cg.columns, k: g.patch,
                                    a: pw.baseAddress!, b: pc.baseAddress!, c: pp.baseAddress!)
                                for o in 0..<g.outChannels {
                                    let bo = bias?[o] ?? 0
                                    for j in 0..<n {
                                        let src = (o * n + j) * spatial
                                        let dst = ((b0 + j) * g.outChannels + o) * spatial
                                        for s in 0..<spatial { po[dst + s] = pp[src + s] + bo }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Gradients of conv2d with respect to input, weight and bias, given the output gradient.
    ///
    /// Group by group (as the batched forward): the group's dy is transposed to (O, n·S), its columns
    /// unfolded, dW accumulated by one GEMM, and — when the input needs a gradient — the columns' gradient
    /// Wᵀ·dy computed into the same buffer and folded back into dx.
    public static func conv2dBackward(
        _ x: Tensor, _ w: Tensor, _ dy: Tensor, stride: (Int, Int), padding: (Int, Int),
        needInput: Bool = true
    ) -> (dx: Tensor?, dw: Tensor, db: Tensor) {
        let g = ConvGeometry(input: x.shape, weight: w.shape, stride: stride, padding: padding)
        if g.unfoldsKernelRows {
            let (dx, dw, db) = conv2dBackwardKernelRows(x, w, dy, g, needInput: needInput)
            return (
                dx.map { Tensor(shape: x.shape, storage: $0) }, Tensor(shape: w.shape, storage: dw),
                Tensor(shape: [g.outChannels], storage: db)
            )
        }
        let spatial = g.outH * g.outW
        let chunk = g.chunkSamples()
        let inPlane = g.inChannels * g.height * g.width
        var db = [Float](repeating: 0, count: g.outChannels)
        var dw = [Float].uninitialized(w.count) // the first group's GEMM (beta 0) writes every element
        var dxs = needInput ? [Float](repeating: 0, count: x.count) : []
        var dyT = [Float].uninitialized(g.outChannels * chunk * spatial)
        var col = [Float].uninitialized(g.patch * chunk * spatial)
        x.storage.withUnsafeBufferPointer { px in
            dy.storage.withUnsafeBufferPointer { pd in
                w.storage.withUnsafeBufferPointer { pw in
                    dyT.withUnsafeMutableBufferPointer { pt in
                        col.withUnsafeMutableBufferPointer { pc in
                            dw.withUnsafeMutableBufferPointer { pdw in
                                dxs.withUnsafeMutableBufferPointer { pdx in
                                    for b0 in Swift.stride(from: 0, to: g.batch, by: chunk) {
                                        let n = Swift.min(chunk, g.batch - b0)
                                        let cg = g.withBatch(n)
                                        // dy (n, O, S) → (O, n·S), summing the bias gradient on the way.
                                        for j in 0..<n {
                                            for o in 0..<g.outChannels {
                                                let src = pd.baseAddress! + ((b0 + j) * g.outChannels + o) * spatial
                                                (pt.baseAddress! + (o * n + j) * spatial).update(
                                                    from: src, count: spatial)
                                                db[o] += Float(VectorSums.sum(src, spatial))
                                            }
                                        }
                                        im2col(px.baseAddress! + b0 * inPlane, cg, pc.baseAddress!)
                                        BLAS.gemm(
                                            transB: true, m: g.outChannels, n: g.patch, k: cg.columns,
                                            a: pt.baseAddress!, b: pc.baseAddress!, beta: b0 == 0 ? 0 : 1,
                                            c: pdw.baseAddress!)
                                        guard needInput else { continue }
                                        // dcol = Wᵀ · dyT, reusing the column buffer.
                                        BLAS.gemm(
                                            transA: true, m: g.patch, n: cg.columns, k: g.outChannels,
                                            a: pw.baseAddress!, b: pt.baseAddress!, c: pc.baseAddress!)
                                        col2im(pc.baseAddress!, cg, pdx.baseAddress! + b0 * inPlane)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let dx = needInput ? Tensor(shape: x.shape, storage: dxs) : nil
        return (dx, Tensor(shape: w.shape, storage: dw), Tensor(shape: [g.outChannels], storage: db))
    }
}
