/// A 1×1 convolution followed by a training-mode batch norm and, optionally, a ReLU, as one kernel for
/// inputs with few channels (the skeleton encoder's first layer: 3 coordinates in, 64 channels out).
///
/// Each output channel is an affine function of the input channels, so its batch statistics follow from
/// the input's: μ_o = w_o·m + b_o and σ²_o = w_oᵀ·Σ·w_o, with m and Σ the input's channel means and
/// (biased) covariance. The convolution's output is never stored. Forward writes the normalised result
/// in one pass; backward needs only, per output channel, the sum of the output gradient and its dot
/// products with the centred input channels. As separate ops, the convolution, batch norm and ReLU wrote
/// and re-read several tensors O/C times the input's size (64/3 here) in each direction.
extension Kernels {
    /// What the backward pass needs from the forward one.
    public struct PointwiseNormCache: Sendable {
        /// The input minus its channel means, (B, C, H·W).
        var centred: [Float]
        /// The input's channel covariance (biased, C × C), accumulated in Double.
        var covariance: [Double]
        var invStd: [Float]
    }

    /// y = γ·(conv1×1(x) − μ)/√(σ² + ε) + β over (B, C, H, W), with batch statistics (returned, as
    /// `batchNorm` returns them, for the running averages), then max(y, 0) when `relu`.
    public static func pointwiseConvBatchNorm(
        _ x: Tensor, weight: Tensor, bias: Tensor?, gamma: Tensor, beta: Tensor, eps: Float, relu: Bool
    ) -> (y: Tensor, cache: PointwiseNormCache, batchMean: [Float], batchVar: [Float]) {
        precondition(x.rank == 4, "pointwiseConvBatchNorm wants (B, C, H, W), got \(x.shape)")
        let (b, c, s) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let o = weight.shape[0]
        precondition(weight.shape == [o, c, 1, 1], "pointwise weight \(weight.shape) for \(c) input channels")
        precondition(gamma.count == o && beta.count == o && (bias?.count ?? o) == o, "norm has \(o) channels")
        let n = Double(b * s)
        var mean = [Double](repeating: 0, count: c)
        x.storage.withUnsafeBufferPointer { px in
            for bi in 0..<b {
                for ch in 0..<c { mean[ch] += VectorSums.sum(px.baseAddress! + (bi * c + ch) * s, s) }
            }
        }
        for ch in 0..<c { mean[ch] /= n }
        // Centring first keeps the covariance and the output free of cancellation when the mean is large.
        var centred = [Float].uninitialized(x.count)
        var covariance = [Double](repeating: 0, count: c * c)
        x.storage.withUnsafeBufferPointer { px in
            centred.withUnsafeMutableBufferPointer { pc in
                for bi in 0..<b {
                    for ch in 0..<c {
                        let (src, dst) = (px.baseAddress! + (bi * c + ch) * s, pc.baseAddress! + (bi * c + ch) * s)
                        let m = Float(mean[ch])
                        for k in 0..<s { dst[k] = src[k] - m }
                    }
                    for i in 0..<c {
                        for j in 0...i {
                            covariance[i * c + j] += VectorSums.dot(
                                pc.baseAddress! + (bi * c + i) * s, pc.baseAddress! + (bi * c + j) * s, s)
                        }
                    }
                }
            }
        }
        for i in 0..<c {
            for j in 0...i {
                covariance[i * c + j] /= n
                covariance[j * c + i] = covariance[i * c + j]
            }
        }
        var batchMean = [Float](repeating: 0, count: o)
        var batchVar = [Float](repeating: 0, count: o)
        var invStd = [Float](repeating: 0, count: o)
        // The output is Σ_c a[o, c]·(x_c − m_c) + β_o with a[o, c] = γ_o·w[o, c]/√(σ²_o + ε).
        var scale = [Float](repeating: 0, count: o * c)
        for oc in 0..<o {
            let w = weight.storage[(oc * c)..<((oc + 1) * c)].map(Double.init)
            var mu = Double(bias?.storage[oc] ?? 0)
            var variance = 0.0
            for i in 0..<c {
                mu += w[i] * mean[i]
                for j in 0..<c { variance += w[i] * covariance[i * c + j] * w[j] }
            }
            batchMean[oc] = Float(mu)
            batchVar[oc] = Float(variance)
            invStd[oc] = 1 / (batchVar[oc] + eps).squareRoot()
            for i in 0..<c { scale[oc * c + i] = gamma.storage[oc] * invStd[oc] * weight.storage[oc * c + i] }
        }
        var y = [Float].uninitialized(b * o * s)
        centred.withUnsafeBufferPointer { pc in
            y.withUnsafeMutableBufferPointer { py in
                for bi in 0..<b {
                    for oc in 0..<o {
                        let dst = py.baseAddress! + (bi * o + oc) * s
                        let be = beta.storage[oc]
                        for k in 0..<s { dst[k] = be }
                        for ch in 0..<c {
                            let (a, src) = (scale[oc * c + ch], pc.baseAddress! + (bi * c + ch) * s)
                            for k in 0..<s { dst[k] += a * src[k] }
                        }
                        if relu {
                            for k in 0..<s { dst[k] = Swift.max(dst[k], 0) }
                        }
                    }
                }
            }
        }
        let cache = PointwiseNormCache(centred: centred, covariance: covariance, invStd: invStd)
        return (Tensor(shape: [b, o, x.shape[2], x.shape[3]], storage: y), cache, batchMean, batchVar)
    }

    /// Gradients of `pointwiseConvBatchNorm` with respect to input (when `needInput`), weight, conv bias,
    /// γ and β, given the output `y` (for the ReLU's mask) and its gradient.
    ///
    /// With g the output gradient (zero where the ReLU cut), h_o = invStd_o·w_o·(x − m) the normalised
    /// value and k_o = γ_o·invStd_o, the pre-norm gradient is dz_o = k_o·(g_o − Σg_o/N − h_o·dγ_o/N).
    /// Summed against the centred input it needs only G_o = Σ g_o and X_o = Σ g_o·(x − m):
    /// dβ_o = G_o, dγ_o = invStd_o·w_o·X_o, dw_o = k_o·(X_o − dγ_o·invStd_o·Σ·w_o), and the conv bias's
    /// gradient is Σ dz_o = 0 exactly (batch norm removes any constant shift).
    public static func pointwiseConvBatchNormBackward(
        _ dy: Tensor, output y: Tensor, cache: PointwiseNormCache, weight: Tensor, gamma: Tensor, relu: Bool,
        needInput: Bool
    ) -> (dx: Tensor?, dw: Tensor, db: Tensor, dgamma: Tensor, dbeta: Tensor) {
        let (o, c) = (weight.shape[0], weight.shape[1])
        let s = dy.shape[2] * dy.shape[3]
        let b = dy.shape[0]
        let n = Double(b * s)
        var sums = [Double](repeating: 0, count: o) // G
        var dots = [Double](repeating: 0, count: o * c) // X
        var masked = [Float].uninitialized(s)
        dy.storage.withUnsafeBufferPointer { pd in
            y.storage.withUnsafeBufferPointer { py in
                cache.centred.withUnsafeBufferPointer { pc in
                    masked.withUnsafeMutableBufferPointer { pm in
                        for bi in 0..<b {
                            for oc in 0..<o {
                                let run = (bi * o + oc) * s
                                let g = reluGradient(
                                    pd.baseAddress! + run, py.baseAddress! + run, s, relu: relu, pm.baseAddress!)
                                sums[oc] += VectorSums.sum(g, s)
                                for ch in 0..<c {
                                    dots[oc * c + ch] += VectorSums.dot(g, pc.baseAddress! + (bi * c + ch) * s, s)
                                }
                            }
                        }
                    }
                }
            }
        }
        var dw = [Float](repeating: 0, count: o * c)
        var dgamma = [Float](repeating: 0, count: o)
        var k = [Double](repeating: 0, count: o)
        for oc in 0..<o {
            let w = weight.storage[(oc * c)..<((oc + 1) * c)].map(Double.init)
            let inv = Double(cache.invStd[oc])
            var dg = 0.0
            for ch in 0..<c { dg += w[ch] * dots[oc * c + ch] }
            dg *= inv
            dgamma[oc] = Float(dg)
            k[oc] = Double(gamma.storage[oc]) * inv
            for ch in 0..<c {
                var sigmaW = 0.0
                for j in 0..<c { sigmaW += cache.covariance[ch * c + j] * w[j] }
                dw[oc * c + ch] = Float(k[oc] * (dots[oc * c + ch] - dg * inv * sigmaW))
            }
        }
        let dx =
            needInput
            ? pointwiseInputGradient(
                dy, output: y, cache: cache, weight: weight, relu: relu,
                sums: sums, dgamma: dgamma, k: k, count: n) : nil
        return (
            dx, Tensor(shape: weight.shape, storage: dw), Tensor(shape: [o]), Tensor(shape: [o], storage: dgamma),
            Tensor(shape: [o], storage: sums.map { Float($0) })
        )
    }

    /// dx_c = Σ_o w[o, c]·dz_o, expanded as Σ_o P[c, o]·g_o + q_c + Σ_d R[c, d]·(x_d − m_d), with
    /// P[c, o] = w[o, c]·k_o, q_c = −Σ_o P[c, o]·G_o/N and R[c, d] = −Σ_o P[c, o]·dγ_o·invStd_o·w[o, d]/N.
    private static func pointwiseInputGradient(
        _ dy: Tensor, output y: Tensor, cache: PointwiseNormCache, weight: Tensor, relu: Bool, sums: [Double],
        dgamma: [Float], k: [Double], count n: Double
    ) -> Tensor {
        let (o, c) = (weight.shape[0], weight.shape[1])
        let (b, s) = (dy.shape[0], dy.shape[2] * dy.shape[3])
        var p = [Float](repeating: 0, count: c * o)
        var q = [Float](repeating: 0, count: c)
        var r = [Float](repeating: 0, count: c * c)
        for ch in 0..<c {
            var qc = 0.0
            var rc = [Double](repeating: 0, count: c)
            for oc in 0..<o {
                let pco = Double(weight.storage[oc * c + ch]) * k[oc]
                p[ch * o + oc] = Float(pco)
                qc -= pco * sums[oc] / n
                let t = pco * Double(dgamma[oc]) * Double(cache.invStd[oc]) / n
                for d in 0..<c { rc[d] -= t * Double(weight.storage[oc * c + d]) }
            }
            q[ch] = Float(qc)
            for d in 0..<c { r[ch * c + d] = Float(rc[d]) }
        }
        var dx = [Float].uninitialized(b * c * s)
        var masked = [Float].uninitialized(s)
        dy.storage.withUnsafeBufferPointer { pd in
            y.storage.withUnsafeBufferPointer { py in
                cache.centred.withUnsafeBufferPointer { pc in
                    dx.withUnsafeMutableBufferPointer { px in
                        masked.withUnsafeMutableBufferPointer { pm in
                            for bi in 0..<b {
                                for ch in 0..<c {
                                    let dst = px.baseAddress! + (bi * c + ch) * s
                                    for kk in 0..<s { dst[kk] = q[ch] }
                                    for d in 0..<c {
                                        let (rv, src) = (r[ch * c + d], pc.baseAddress! + (bi * c + d) * s)
                                        for kk in 0..<s { dst[kk] += rv * src[kk] }
                                    }
                                }
                                for oc in 0..<o {
                                    let run = (bi * o + oc) * s
                                    let g = reluGradient(
                                        pd.baseAddress! + run, py.baseAddress! + run, s, relu: relu, pm.baseAddress!)
                                    for ch in 0..<c {
                                        let (pv, dst) = (p[ch * o + oc], px.baseAddress! + (bi * c + ch) * s)
                                        for kk in 0..<s { dst[kk] += pv * g[kk] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [b, c, dy.shape[2], dy.shape[3]], storage: dx)
    }

    /// A run of the output gradient with the ReLU's cut applied (in `scratch`), or the run itself.
    @inline(__always)
    private static func reluGradient(
        _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ s: Int, relu: Bool,
        _ scratch: UnsafeMutablePointer<Float>
    ) -> UnsafePointer<Float> {
        guard relu else { return dy }
        // Explicit lanes: the scalar `y > 0 ? dy : 0` compiles to a branch, mispredicted half the time.
        typealias Lanes = VectorSums.Lanes
        var k = 0
        while k + Lanes.scalarCount <= s {
            let kept = VectorSums.load(dy, k).replacing(with: 0, where: .!(VectorSums.load(y, k) .> 0))
            VectorSums.store(kept, scratch, k)
            k += Lanes.scalarCount
        }
        while k < s {
            scratch[k] = y[k] > 0 ? dy[k] : 0
            k += 1
        }
        return UnsafePointer(scratch)
    }
}
