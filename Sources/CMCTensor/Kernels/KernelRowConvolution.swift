/// Unpadded, stride-1 convolutions (the skeleton encoder's after its first layer), unfolded over kernel
/// rows only.
///
/// im2col copies every input value kh·kw times, one output row (a few tens of values) at a time: most of
/// these convolutions' glue time. Here outputs are computed over the input's full width W, the last
/// kw − 1 of each row being padding that is dropped. Then row (c, i) of a sample's column matrix is one
/// contiguous block of the input, and kernel column j reads the same matrix j columns further on: the
/// convolution is kw GEMMs over a kw-times smaller column matrix built by block copies. The price is
/// computing W/ow of the outputs, so the path is taken where that is at most 1.15.
extension ConvGeometry {
    /// (A kernel one column wide costs no extra outputs; its column gradient then also folds back in
    /// block adds, where `col2im` goes output row by output row.)
    var unfoldsKernelRows: Bool {
        strideH == 1 && strideW == 1 && padH == 0 && padW == 0 && 20 * width <= 23 * outW
    }

    /// Rows of the row-unfolded matrix: (c, i).
    var rowPatch: Int { inChannels * kernelH }
    /// Its columns per sample: output rows at the input's full width.
    var wideSpatial: Int { outH * width }
    /// Zeroed floats after its last row, which kernel column j reads j values past its end.
    var rowSlack: Int { kernelW - 1 }

    /// Samples per group, as `chunkSamples` for the row-unfolded matrix.
    func rowChunkSamples(budget: Int = 1 << 19) -> Int {
        Swift.max(1, Swift.min(batch, budget / Swift.max(1, rowPatch * wideSpatial)))
    }
}

extension Kernels {
    /// rows[(c, i), (b, t)] = x[b, c, i·W + t] for t < oh·W, then `rowSlack` zeros.
    static func unfoldKernelRows(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ rows: UnsafeMutablePointer<Float>) {
        let span = g.wideSpatial
        let cols = g.batch * span
        let hw = g.height * g.width
        for c in 0..<g.inChannels {
            for i in 0..<g.kernelH {
                let row = rows + (c * g.kernelH + i) * cols
                for b in 0..<g.batch {
                    (row + b * span).update(from: x + (b * g.inChannels + c) * hw + i * g.width, count: span)
                }
            }
        }
        (rows + g.rowPatch * cols).update(repeating: 0, count: g.rowSlack)
    }

    /// The adjoint of `unfoldKernelRows`, writing dx (no need to zero it first): kernel row 0 covers each
    /// plane's first oh·W values, the rows below it the rest, so row 0 assigns and zeroes the remaining
    /// (kh − 1)·W values, and the others add.
    static func foldKernelRows(_ rows: UnsafePointer<Float>, _ g: ConvGeometry, _ dx: UnsafeMutablePointer<Float>) {
        let span = g.wideSpatial
        let cols = g.batch * span
        let hw = g.height * g.width
        for c in 0..<g.inChannels {
            for i in 0..<g.kernelH {
                let row = rows + (c * g.kernelH + i) * cols
                for b in 0..<g.batch {
                    let (src, dst) = (row + b * span, dx + (b * g.inChannels + c) * hw + i * g.width)
                    if i == 0 {
                        dst.update(from: src, count: span)
                        (dst + span).update(repeating: 0, count: hw - span)
                    } else {
                        for t in 0..<span { dst[t] += src[t] }
                    }
                }
            }
        }
    }

    /// The weight's kernel columns as kw matrices (O, C·kh): [j][o][(c, i)] = w[o, c, i, j].
    static func kernelColumns(_ w: Tensor, _ g: ConvGeometry) -> [Float] {
        let (o, p, kw) = (g.outChannels, g.rowPatch, g.kernelW)
        var out = [Float].uninitialized(kw * o * p)
        for j in 0..<kw {
            for oc in 0..<o {
                for r in 0..<p { out[(j * o + oc) * p + r] = w.storage[(oc * p + r) * kw + j] }
            }
        }
        return out
    }

    /// The batched forward pass (see `conv2dBatched`) on the row-unfolded matrix.
    static func conv2dKernelRows(_ x: Tensor, _ w: Tensor, bias: [Float]?, _ g: ConvGeometry) -> [Float] {
        let (oh, ow, width) = (g.outH, g.outW, g.width)
        let (span, spatial, p) = (g.wideSpatial, oh * ow, g.rowPatch)
        let chunk = g.rowChunkSamples()
        let inPlane = g.inChannels * g.height * width
        let weights = kernelColumns(w, g)
        var out = [Float].uninitialized(g.batch * g.outChannels * spatial)
        var prod = [Float].uninitialized(g.outChannels * chunk * span)
        var rows = [Float].uninitialized(p * chunk * span + g.rowSlack)
        x.storage.withUnsafeBufferPointer { px in
            weights.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    prod.withUnsafeMutableBufferPointer { pp in
                        rows.withUnsafeMutableBufferPointer { pr in
                            for b0 in Swift.stride(from: 0, to: g.batch, by: chunk) {
                                let n = Swift.min(chunk, g.batch - b0)
                                let cols = n * span
                                unfoldKernelRows(px.baseAddress! + b0 * inPlane, g.withBatch(n), pr.baseAddress!)
                                for j in 0..<g.kernelW {
                                    BLAS.gemm(
                                        m: g.outChannels, n: cols, k: p, a: pw.baseAddress! + j * g.outChannels * p,
                                        b: pr.baseAddress! + j, beta: j == 0 ? 0 : 1, c: pp.baseAddress!)
                                }
                                // (O, n, oh, W) → (n, O, oh, ow), dropping the padding columns, adding the bias.
                                for o in 0..<g.outChannels {
                                    let bo = bias?[o] ?? 0
                                    for jj in 0..<n {
                                        let src = pp.baseAddress! + (o * n + jj) * span
                                        let dst = po.baseAddress! + ((b0 + jj) * g.outChannels + o) * spatial
                                        for y in 0..<oh {
                                            for xx in 0..<ow { dst[y * ow + xx] = src[y * width + xx] + bo }
                                        }
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

    /// The backward pass (see `conv2dBackward`) on the row-unfolded matrix: dy is widened with zeros in the
    /// padding columns, so they add nothing to the weight gradient, and the columns' gradient, computed
    /// for each kernel column into the same buffer shifted by j, is exactly zero there.
    static func conv2dBackwardKernelRows(
        _ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needInput: Bool
    ) -> (dx: [Float]?, dw: [Float], db: [Float]) {
        let (oh, ow, width, kw) = (g.outH, g.outW, g.width, g.kernelW)
        let (span, spatial, p, o) = (g.wideSpatial, oh * ow, g.rowPatch, g.outChannels)
        let chunk = g.rowChunkSamples()
        let inPlane = g.inChannels * g.height * width
        let weights = kernelColumns(w, g)
        var db = [Float](repeating: 0, count: o)
        var dw = [Float](repeating: 0, count: w.count)
        var dwj = [Float].uninitialized(o * p)
        var dxs = needInput ? [Float].uninitialized(x.count) : [] // every value written by `foldKernelRows`
        var dyT = [Float].uninitialized(o * chunk * span)
        var rows = [Float].uninitialized(p * chunk * span + g.rowSlack)
        x.storage.withUnsafeBufferPointer { px in
            dy.storage.withUnsafeBufferPointer { pd in
                weights.withUnsafeBufferPointer { pw in
                    dyT.withUnsafeMutableBufferPointer { pt in
                        rows.withUnsafeMutableBufferPointer { pr in
                            dwj.withUnsafeMutableBufferPointer { pj in
                                dxs.withUnsafeMutableBufferPointer { pdx in
                                    for b0 in Swift.stride(from: 0, to: g.batch, by: chunk) {
                                        let n = Swift.min(chunk, g.batch - b0)
                                        let cols = n * span
                                        let cg = g.withBatch(n)
                                        // dy (n, O, oh, ow) → (O, n, oh, W) with zero padding columns.
                                        for jj in 0..<n {
                                            for oc in 0..<o {
                                                let src = pd.baseAddress! + ((b0 + jj) * o + oc) * spatial
                                                let dst = pt.baseAddress! + (oc * n + jj) * span
                                                db[oc] += Float(VectorSums.sum(src, spatial))
                                                for y in 0..<oh {
                                                    for xx in 0..<ow { dst[y * width + xx] = src[y * ow + xx] }
                                                    for xx in ow..<width { dst[y * width + xx] = 0 }
                                                }
                                            }
                                        }
                                        unfoldKernelRows(px.baseAddress! + b0 * inPlane, cg, pr.baseAddress!)
                                        for j in 0..<kw {
                                            BLAS.gemm(
                                                transB: true, m: o, n: p, k: cols, a: pt.baseAddress!,
                                                b: pr.baseAddress! + j, ldb: cols, c: pj.baseAddress!)
                                            for oc in 0..<o {
                                                for r in 0..<p { dw[(oc * p + r) * kw + j] += pj[oc * p + r] }
                                            }
                                        }
                                        guard needInput else { continue }
                                        // The columns' gradient, Σ_j (kernel column j)ᵀ·dy shifted by j, into the
                                        // row buffer; the last row's shifted part lands in the zeroed slack.
                                        (pr.baseAddress! + p * cols).update(repeating: 0, count: g.rowSlack)
                                        for j in 0..<kw {
                                            BLAS.gemm(
                                                transA: true, m: p, n: cols, k: o, a: pw.baseAddress! + j * o * p,
                                                b: pt.baseAddress!, beta: j == 0 ? 0 : 1, c: pr.baseAddress! + j)
                                        }
                                        foldKernelRows(pr.baseAddress!, cg, pdx.baseAddress! + b0 * inPlane)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (needInput ? dxs : nil, dw, db)
    }
}
