import Foundation

/// Batch and layer normalisation kernels. Statistics are accumulated in Double: a batch of 64 with
/// 2,000 positions sums 128k values, where Float accumulation would cost parity with PyTorch. (Batch
/// norm sums each contiguous run in Float lanes first, see `VectorSums`, and combines them in Double.)
extension Kernels {
    /// Saved state from a normalisation forward pass.
    public struct NormCache: Sendable {
        public var xhat: Tensor
        public var invStd: [Float]
    }

    /// Saved state from a batch-norm forward pass: its input (which the graph holds anyway) and statistics.
    /// Backward recomputes x̂ = (x − μ)·invStd where it reads it: storing x̂ was one more write of the
    /// activation's size per layer, and one more allocation.
    public struct BatchNormCache: Sendable {
        var x: Tensor
        var mean: [Float]
        var invStd: [Float]
    }

    /// Batch norm over (B, C, …): per-channel statistics over batch and positions.
    /// In training mode the batch statistics are used (biased variance) and returned so the caller can
    /// update its running averages (with the unbiased variance, as PyTorch does).
    public static func batchNorm(
        _ x: Tensor, gamma: Tensor, beta: Tensor, mean: [Float]?, variance: [Float]?,
        eps: Float
    ) -> (y: Tensor, cache: BatchNormCache, batchMean: [Float], batchVar: [Float]) {
        precondition(x.rank >= 2, "batchNorm wants (B, C, …), got \(x.shape)")
        let b = x.shape[0]
        let c = x.shape[1]
        let s = x.count / Swift.max(b * c, 1)
        precondition(gamma.count == c && beta.count == c, "batchNorm has \(gamma.count) channels, input \(c)")
        let n = Double(b * s)
        var mu = [Float](repeating: 0, count: c)
        var va = [Float](repeating: 0, count: c)
        if let mean, let variance {
            mu = mean
            va = variance
        } else {
            // Two passes (mean, then squared deviations): no cancellation when the mean is large.
            x.storage.withUnsafeBufferPointer { px in
                let p = px.baseAddress!
                for ch in 0..<c {
                    var sum = 0.0
                    for bi in 0..<b { sum += VectorSums.sum(p + (bi * c + ch) * s, s) }
                    let m = Float(sum / n)
                    var sq = 0.0
                    for bi in 0..<b { sq += VectorSums.squaredDeviations(p + (bi * c + ch) * s, s, mean: m) }
                    mu[ch] = m
                    va[ch] = Float(sq / n)
                }
            }
        }
        var invStd = [Float](repeating: 0, count: c)
        for ch in 0..<c { invStd[ch] = 1 / (va[ch] + eps).squareRoot() }
        var y = [Float].uninitialized(x.count)
        x.storage.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                for bi in 0..<b {
                    for ch in 0..<c {
                        let base = (bi * c + ch) * s
                        let (m, inv) = (mu[ch], invStd[ch])
                        let (g, be) = (gamma.storage[ch], beta.storage[ch])
                        for i in base..<(base + s) { py[i] = (px[i] - m) * inv * g + be }
                    }
                }
            }
        }
        return (Tensor(shape: x.shape, storage: y), BatchNormCache(x: x, mean: mu, invStd: invStd), mu, va)
    }

    /// Backward of batch norm. `usedBatchStats` selects the training-mode formula (gradient flows
    /// through the batch mean and variance) or the eval-mode one (fixed statistics).
    public static func batchNormBackward(_ dy: Tensor, cache: BatchNormCache, gamma: Tensor, usedBatchStats: Bool)
        -> (dx: Tensor, dgamma: Tensor, dbeta: Tensor)
    {
        let shape = dy.shape
        let b = shape[0]
        let c = shape[1]
        let s = dy.count / Swift.max(b * c, 1)
        let n = Float(b * s)
        var dg = [Float](repeating: 0, count: c)
        var dbe = [Float](repeating: 0, count: c)
        let count = dy.count
        var dx = [Float].uninitialized(count)
        dy.storage.withUnsafeBufferPointer { pd in
            cache.x.storage.withUnsafeBufferPointer { ph in
                dx.withUnsafeMutableBufferPointer { px in
                    let (d, x) = (pd.baseAddress!, ph.baseAddress!)
                    for ch in 0..<c {
                        let (m, inv) = (cache.mean[ch], cache.invStd[ch])
                        var sdy = 0.0
                        var sdyc = 0.0 // Σ dy·(x − μ); Σ dy·x̂ is that times invStd
                        for bi in 0..<b {
                            let base = (bi * c + ch) * s
                            let (a, ab) = VectorSums.sumAndCentredDot(d + base, x + base, s, mean: m)
                            sdy += a
                            sdyc += ab
                        }
                        let sdyh = sdyc * Double(inv)
                        dg[ch] = Float(sdyh)
                        dbe[ch] = Float(sdy)
                        let k = gamma.storage[ch] * inv
                        let mdy = usedBatchStats ? Float(sdy) / n : 0
                        // x̂·mean(dy·x̂) = (x − μ)·(invStd·mean(dy·x̂))
                        let slope = usedBatchStats ? inv * Float(sdyh) / n : 0
                        for bi in 0..<b {
                            let base = (bi * c + ch) * s
                            for i in base..<(base + s) { px[i] = k * (pd[i] - mdy - (ph[i] - m) * slope) }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: shape, storage: dx), Tensor(shape: [c], storage: dg), Tensor(shape: [c], storage: dbe))
    }

    /// Layer normalisation over the last dimension; the cache (x̂ and 1/σ per row) only when `keepsCache` (for a
    /// backward pass: inference skips writing x̂).
    public static func layerNorm(
        _ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float, keepsCache: Bool = true
    ) -> (Tensor, NormCache?) {
        let d = x.shape.last ?? 1
        let rows = x.count / Swift.max(d, 1)
        precondition(gamma.count == d && beta.count == d, "layerNorm over \(d) features with \(gamma.count) weights")
        var xhat = [Float](repeating: 0, count: keepsCache ? x.count : 0)
        var invStd = [Float](repeating: 0, count: keepsCache ? rows : 0)
        let y = [Float](unsafeUninitializedCapacity: x.count) { py, initialised in
            x.storage.withUnsafeBufferPointer { px in
                gamma.storage.withUnsafeBufferPointer { pg in
                    beta.storage.withUnsafeBufferPointer { pb in
                        xhat.withUnsafeMutableBufferPointer { ph in
                            for r in 0..<rows {
                                let base = r * d
                                let row = px.baseAddress! + base
                                let m = Float(VectorSums.sum(row, d) / Double(d))
                                let variance = Float(VectorSums.squaredDeviations(row, d, mean: m) / Double(d))
                                let inv = 1 / (variance + eps).squareRoot()
                                guard keepsCache else {
                                    for i in 0..<d { py[base + i] = (row[i] - m) * inv * pg[i] + pb[i] }
                                    continue
                                }
                                invStd[r] = inv
                                for i in 0..<d {
                                    let h = (row[i] - m) * inv
                                    ph[base + i] = h
                                    py[base + i] = h * pg[i] + pb[i]
                                }
                            }
                        }
                    }
                }
            }
            initialised = x.count
        }
        let cache = keepsCache ? NormCache(xhat: Tensor(shape: x.shape, storage: xhat), invStd: invStd) : nil
        return (Tensor(shape: x.shape, storage: y), cache)
    }

    public static func layerNormBackward(_ dy: Tensor, cache: NormCache, gamma: Tensor) -> (Tensor, Tensor, Tensor) {
        let d = dy.shape.last ?? 1
        let rows = dy.count / Swift.max(d, 1)
        var dx = [Float](repeating: 0, count: dy.count)
        var dg = [Float](repeating: 0, count: d)
        var db = [Float](repeating: 0, count: d)
        var g = [Float](repeating: 0, count: d)
        dy.storage.withUnsafeBufferPointer { pd in
            cache.xhat.storage.withUnsafeBufferPointer { ph in
                for r in 0..<rows {
                    let base = r * d
                    var sg: Float = 0
                    var sgh: Float = 0
                    for i in 0..<d {
                        let gi = pd[base + i] * gamma.storage[i]
                        g[i] = gi
                        sg += gi
                        sgh += gi * ph[base + i]
                        dg[i] += pd[base + i] * ph[base + i]
                        db[i] += pd[base + i]
                    }
                    let inv = cache.invStd[r]
                    let md = sg / Float(d)
                    let mdh = sgh / Float(d)
                    for i in 0..<d { dx[base + i] = inv * (g[i] - md - ph[base + i] * mdh) }
                }
            }
        }
        return (Tensor(shape: dy.shape, storage: dx), Tensor(shape: [d], storage: dg), Tensor(shape: [d], storage: db))
    }
}
