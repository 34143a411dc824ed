import CMCCore

/// Batch normalisation over channel 1 of (B, C), (B, C, L) or (B, C, H, W) — BatchNorm1d and
/// BatchNorm2d alike. Running statistics follow PyTorch: momentum 0.1, unbiased running variance.
public final class BatchNorm: Module {
    public let weight: Variable, bias: Variable
    public let runningMean: Variable, runningVar: Variable
    public let eps: Float, momentum: Float

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = Variable(.ones([channels]), requiresGrad: true)
        bias = Variable(.zeros([channels]), requiresGrad: true)
        runningMean = Variable(.zeros([channels]))
        runningVar = Variable(.ones([channels]))
        self.eps = eps
        self.momentum = momentum
    }

    public override var localParameters: [(String, Variable)] { [("weight", weight), ("bias", bias)] }
    public override var localBuffers: [(String, Variable)] {
        [("running_mean", runningMean), ("running_var", runningVar)]
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let (y, mean, variance) = batchNorm(
            x, gamma: weight, beta: bias, runningMean: runningMean.value,
            runningVar: runningVar.value, training: isTraining, eps: eps)
        if isTraining {
            updateRunningStatistics(mean: mean, variance: variance, count: x.value.count / max(x.shape[1], 1))
        }
        return y
    }

    /// Training mode: batch norm of `conv(x)` for a 1×1 convolution, with the optional ReLU after it, as one
    /// op (`pointwiseConvBatchNorm`) that never stores the convolution's output.
    public func afterPointwise(_ conv: Conv2d, _ x: Variable, relu: Bool) -> Variable {
        precondition(isTraining, "the fused pointwise convolution + batch norm uses batch statistics")
        let (y, mean, variance) = pointwiseConvBatchNorm(
            x, weight: conv.weight, bias: conv.bias, gamma: weight, beta: bias, eps: eps, relu: relu)
        updateRunningStatistics(mean: mean, variance: variance, count: y.value.count / y.shape[1])
        return y
    }

    /// Moves the running averages towards a batch's statistics over `count` values per channel (the
    /// variance unbiased, as PyTorch does).
    private func updateRunningStatistics(mean: [Float], variance: [Float], count: Int) {
        let n = Float(count)
        let unbias = n > 1 ? n / (n - 1) : 1
        for c in 0..<mean.count {
            runningMean.value.storage[c] = (1 - momentum) * runningMean.value.storage[c] + momentum * mean[c]
            runningVar.value.storage[c] = (1 - momentum) * runningVar.value.storage[c] + momentum * variance[c] * unbias
        }
    }
}

/// Layer normalisation over the last dimension.
public final class LayerNorm: Module {
    public let weight: Variable, bias: Variable
    public let eps: Float

    public init(_ features: Int, eps: Float = 1e-5) {
        weight = Variable(.ones([features]), requiresGrad: true)
        bias = Variable(.zeros([features]), requiresGrad: true)
        self.eps = eps
    }

    public override var localParameters: [(String, Variable)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Variable) -> Variable { layerNorm(x, gamma: weight, beta: bias, eps: eps) }
}

/// Inverted dropout with its own seeded generator, active only in training mode.
public final class Dropout: Module {
    public let p: Float
    private var rng: SeededRNG

    public init(_ p: Float, rng: inout SeededRNG) {
        self.p = p
        self.rng = rng.fork()
    }

    public func callAsFunction(_ x: Variable) -> Variable { x.dropout(p: p, training: isTraining, rng: &rng) }

    /// Dropout of `x.relu()`, fused (`Variable.reluDropout`).
    public func afterReLU(_ x: Variable) -> Variable { x.reluDropout(p: p, training: isTraining, rng: &rng) }
}

import Synchronization

/// Inference weights of a layer followed by a batch norm, folded once and reused until any of the
/// tensors they derive from changes (tracked by `Variable.version`). Thread-safe: the daemon runs
/// one model on several worker threads.
public final class FoldedWeights: Sendable {
    private let cache = Mutex<(key: [Int], weight: Tensor, bias: Tensor)?>(nil)

    public init() {}

    public func get(weight: Variable, bias: Variable?, norm: BatchNorm) -> (weight: Tensor, bias: Tensor) {
        let key = [
            weight.version, bias?.version ?? -1, norm.weight.version, norm.bias.version,
            norm.runningMean.version, norm.runningVar.version,
        ]
        if let hit = cache.withLock({ $0 }), hit.key == key { return (hit.weight, hit.bias) }
        let folded = norm.fold(weight: weight.value, bias: bias?.value)
        cache.withLock { $0 = (key, folded.weight, folded.bias) }
        return folded
    }
}

extension BatchNorm {
    /// The weight and bias of a convolution or linear layer followed by this batch norm in eval mode,
    /// folded into one affine map: w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β. Used for inference,
    /// where it saves a pass over the activations.
    public func fold(weight: Tensor, bias: Tensor?) -> (weight: Tensor, bias: Tensor) {
        let c = weight.shape[0]
        let per = weight.count / max(c, 1)
        var w = weight
        var b = Tensor(shape: [c])
        for o in 0..<c {
            let k = self.weight.value.storage[o] / (runningVar.value.storage[o] + eps).squareRoot()
            for i in 0..<per { w.storage[o * per + i] *= k }
            b.storage[o] = ((bias?.storage[o] ?? 0) - runningMean.value.storage[o]) * k + self.bias.value.storage[o]
        }
        return (w, b)
    }

    /// True when a forward pass may use folded weights: eval mode and nothing to differentiate.
    public func canFold(input: Variable, _ layerParameters: [Variable]) -> Bool {
        guard !isTraining else { return false }
        guard GradMode.isEnabled else { return true }
        return !input.requiresGrad && !(layerParameters + parameters).contains { $0.requiresGrad }
    }
}
