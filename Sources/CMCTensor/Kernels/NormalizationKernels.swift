import Foundation

/// Batch and layer normalisation kernels. Statistics are accumulated in Double: a batch of 64 with
/// 2,000 positions sums 128k values, where Float accumulation would cost parity with PyTorch.
extension Kernels {
    /// Saved state from a normalisation forward pass.
    public struct NormCache: Sendable {
        public var xhat: Tensor
        public var invStd: [Float]
    }

    /// Batch norm over (B, C, …): per-channel statistics over batch and positions.
    /// In training mode the batch statistics are used (biased variance) and returned so the caller can
    /// update its running averages (with the unbiased variance, as PyTorch does).
    public static func batchNorm(
        _ x: Tensor, gamma: Tensor, beta: Tensor, mean: [Float]?, variance: [Float]?,
        eps: Float
    ) -> (y: Tensor, cache: NormCache, batchMean: [Float], batchVar: [Float]) {
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
            x.storage.withUnsafeBufferPointer { px in
                for ch in 0..<c {
                    var sum = 0.0
                    var sq = 0.0
                    for bi in 0..<b {
                        let base = (bi * c + ch) * s
                        for i in 0..<s {
                            let v = Double(px[base + i])
                            sum += v
                            sq += v * v
                        }
                    }
                    let m = sum / n
                    mu[ch] = Float(m)
                    va[ch] = Float(Swift.max(sq / n - m * m, 0))
                }
            }
        }
        var invStd = [Float](repeating: 0, count: c)
        for ch in 0..<c { invStd[ch] = 1 / (va[ch] + eps).squareRoot() }
        var xhat = [Float](repeating: 0, count: x.count)
        var y = [Float](repeating: 0, count: x.count)
        x.storage.withUnsafeBufferPointer { px in
            for bi in 0..<b {
                for ch in 0..<c {
                    let base = (bi * c + ch) * s
                    let m = mu[ch]
                    let inv = invStd[ch]
                    let g = gamma.storage[ch]
                    let be = beta.storage[ch]
                    for i in 0..<s {
                        let h = (px[base + i] - m) * inv
                        xhat[base + i] = h
                        y[base + i] = h * g + be
                    }
                }
            }
        }
        return (
            Tensor(shape: x.shape, storage: y), NormCache(xhat: Tensor(shape: x.shape, storage: xhat), invStd: invStd),
            mu, va
        )
    }

    /// Backward of batch norm. `usedBatchStats` selects the training-mode formula (gradient flows
    /// through the batch mean and variance) or the eval-mode one (fixed statistics).
    public static func batchNormBackward(_ dy: Tensor, cache: NormCache, gamma: Tensor, usedBatchStats: Bool)
        -> (dx: Tensor, dgamma: Tensor, dbeta: Tensor)
    {
        let shape = dy.shape
        let b = shape[0]
        let c = shape[1]
        let s = dy.count / Swift.max(b * c, 1)
        let n = Float(b * s)
        var dg = [Float](repeating: 0, count: c)
        var dbe = [Float](repeating: 0, count: c)
        var dx = [Float](repeating: 0, count: dy.count)
        dy.storage.withUnsafeBufferPointer { pd in
            cache.xhat.storage.withUnsafeBufferPointer { ph in
                for ch in 0..<c {
                    var sdy = 0.0
                    var sdyh = 0.0
                    for bi in 0..<b {
                        let base = (bi * c + ch) * s
                        for i in 0..<s {
                            sdy += Double(pd[base + i])
                            sdyh += Double(pd[base + i] * ph[base + i])
                        }
                    }
                    dg[ch] = Float(sdyh)
                    dbe[ch] = Float(sdy)
                    let k = gamma.storage[ch] * cache.invStd[ch]
                    if usedBatchStats {
                        let mdy = Float(sdy) / n
                        let mdyh = Float(sdyh) / n
                        for bi in 0..<b {
                            let base = (bi * c + ch) * s
                            for i in 0..<s { dx[base + i] = k * (pd[base + i] - mdy - ph[base + i] * mdyh) }
                        }
                    } else {
                        for bi in 0..<b {
                            let base = (bi * c + ch) * s
                            for i in 0..<s { dx[base + i] = k * pd[base + i] }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: shape, storage: dx), Tensor(shape: [c], storage: dg), Tensor(shape: [c], storage: dbe))
    }

    /// Layer norm over the last dimension.
    public static func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> (Tensor, NormCache) {
        let d = x.shape.last ?? 1
        let rows = x.count / Swift.max(d, 1)
        precondition(gamma.count == d && beta.count == d, "layerNorm over \(d) features with \(gamma.count) weights")
        var y = [Float](repeating: 0, count: x.count)
        var xhat = y
        var invStd = [Float](repeating: 0, count: rows)
        x.storage.withUnsafeBufferPointer { px in
            gamma.storage.withUnsafeBufferPointer { pg in
                beta.storage.withUnsafeBufferPointer { pb in
                    for r in 0..<rows {
                        let base = r * d
                        var sum: Float = 0
                        for i in 0..<d { sum += px[base + i] }
                        let m = sum / Float(d)
                        var sq: Float = 0
                        for i in 0..<d {
                            let t = px[base + i] - m
                            sq += t * t
                        }
                        let inv = 1 / (sq / Float(d) + eps).squareRoot()
                        invStd[r] = inv
                        for i in 0..<d {
                            let h = (px[base + i] - m) * inv
                            xhat[base + i] = h
                            y[base + i] = h * pg[i] + pb[i]
                        }
                    }
                }
            }
        }
        return (
            Tensor(shape: x.shape, storage: y), NormCache(xhat: Tensor(shape: x.shape, storage: xhat), invStd: invStd)
        )
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
