import CMCCore
import Foundation

/// Batch normalisation with explicit statistics handling. In training mode it normalises with the
/// batch statistics and returns them (the module updates its running averages); in eval mode it uses
/// `runningMean`/`runningVar`.
public func batchNorm(
    _ x: Variable, gamma: Variable, beta: Variable, runningMean: Tensor, runningVar: Tensor,
    training: Bool, eps: Float
) -> (y: Variable, batchMean: [Float], batchVar: [Float]) {
    let (y, cache, mean, variance) = Kernels.batchNorm(
        x.value, gamma: gamma.value, beta: beta.value,
        mean: training ? nil : runningMean.storage, variance: training ? nil : runningVar.storage, eps: eps)
    let gv = gamma.value
    let out = Variable.make(y, [x, gamma, beta]) { g in
        let (dx, dg, db) = Kernels.batchNormBackward(g, cache: cache, gamma: gv, usedBatchStats: training)
        return [dx, dg, db]
    }
    return (out, mean, variance)
}

/// A 1×1 convolution (x (B, C, H, W), weight (O, C, 1, 1)), training-mode batch norm and optional ReLU as
/// one op, for inputs with few channels (`Kernels.pointwiseConvBatchNorm`).
public func pointwiseConvBatchNorm(
    _ x: Variable, weight: Variable, bias: Variable?, gamma: Variable, beta: Variable, eps: Float, relu: Bool
) -> (y: Variable, batchMean: [Float], batchVar: [Float]) {
    let (wv, gv) = (weight.value, gamma.value)
    let (y, cache, mean, variance) = Kernels.pointwiseConvBatchNorm(
        x.value, weight: wv, bias: bias?.value, gamma: gv, beta: beta.value, eps: eps, relu: relu)
    let parents = [x, weight, gamma, beta] + (bias.map { [$0] } ?? [])
    let out = Variable.make(y, parents) { g in
        let (dx, dw, db, dg, dbe) = Kernels.pointwiseConvBatchNormBackward(
            g, output: y, cache: cache, weight: wv, gamma: gv, relu: relu, needInput: x.requiresGrad)
        return [dx, dw, dg, dbe] + (bias == nil ? [] : [db])
    }
    return (out, mean, variance)
}

/// Layer normalisation over the last dimension.
public func layerNorm(_ x: Variable, gamma: Variable, beta: Variable, eps: Float) -> Variable {
    let records = GradMode.isEnabled && [x, gamma, beta].contains { $0.requiresGrad }
    let (y, cache) = Kernels.layerNorm(x.value, gamma: gamma.value, beta: beta.value, eps: eps, keepsCache: records)
    guard let cache else { return Variable(y) }
    let gv = gamma.value
    return Variable.make(y, [x, gamma, beta]) { g in
        let (dx, dg, db) = Kernels.layerNormBackward(g, cache: cache, gamma: gv)
        return [dx, dg, db]
    }
}

extension Variable {
    public func softmax(axis: Int = -1) -> Variable {
        let y = Kernels.softmax(value, axis: axis)
        return Variable.make(y, [self]) { g in [Kernels.softmaxBackward(g, output: y, axis: axis)] }
    }

    public func logSoftmax(axis: Int = -1) -> Variable {
        let y = Kernels.softmax(value, axis: axis, log: true)
        return Variable.make(y, [self]) { g in [Kernels.softmaxBackward(g, output: y, axis: axis, log: true)] }
    }

    /// Divides each vector along `axis` by its L2 norm, clamped below by `eps` (as `F.normalize`).
    public func l2Normalized(axis a: Int = -1, eps: Float = 1e-12) -> Variable {
        let axis = value.axis(a)
        let sq = Kernels.sum(value * value, axis: axis, keepDims: true)
        let norm = Kernels.map(sq) { Swift.max($0.squareRoot(), eps) }
        let y = value / norm
        return Variable.make(y, [self]) { g in
            let dot = Kernels.sum(g * y, axis: axis, keepDims: true)
            // Where the norm was clamped the map is linear (x / eps).
            let clamped = Kernels.map(sq) { $0.squareRoot() > eps ? 1 : 0 }
            return [(g - y * (dot * clamped)) / norm]
        }
    }

    /// Inverted dropout: zeroes elements with probability p and scales the rest by 1/(1-p).
    public func dropout(p: Float, training: Bool, rng: inout SeededRNG) -> Variable {
        guard training, p > 0 else { return self }
        let (y, mask) = Kernels.dropout(value, p: p, rng: &rng)
        return Variable.make(y, [self]) { g in [g * mask] }
    }

    /// `relu()` followed by `dropout(p:training:rng:)`, fused: one pass forward and one backward, and a
    /// single mask (the same draws, so the same masks as the two ops in sequence).
    public func reluDropout(p: Float, training: Bool, rng: inout SeededRNG) -> Variable {
        guard training, p > 0 else { return relu() }
        let (y, mask) = Kernels.dropout(value, p: p, relu: true, rng: &rng)
        return Variable.make(y, [self]) { g in [g * mask] }
    }
}

/// Cosine similarity between every row of `a` (N, D) and every row of `b` (M, D): (N, M).
public func cosineSimilarityMatrix(_ a: Variable, _ b: Variable) -> Variable {
    matmul(a.l2Normalized(axis: 1), b.l2Normalized(axis: 1), transB: true)
}

/// Mean cross-entropy of logits (N, C) against integer class targets.
public func crossEntropy(_ logits: Variable, targets: [Int]) -> Variable {
    precondition(
        logits.shape.count == 2 && logits.shape[0] == targets.count,
        "crossEntropy wants (N, C) logits for \(targets.count) targets, got \(logits.shape)")
    let (n, c) = (logits.shape[0], logits.shape[1])
    let ls = Kernels.softmax(logits.value, axis: 1, log: true)
    var loss: Double = 0
    for (i, t) in targets.enumerated() {
        precondition(t >= 0 && t < c, "target \(t) out of range for \(c) classes")
        loss -= Double(ls.storage[i * c + t])
    }
    let value = Tensor(scalar: Float(loss / Double(n)))
    return Variable.make(value, [logits]) { g in
        var d = Kernels.map(ls) { expf($0) }
        for (i, t) in targets.enumerated() { d.storage[i * c + t] -= 1 }
        return [d * (g.scalar / Float(n))]
    }
}
