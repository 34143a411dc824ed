import CMCCore
import Foundation

/// PyTorch's default initialisation for Linear and Conv weights: Kaiming-uniform with a = √5, which
/// reduces to U(−1/√fan_in, 1/√fan_in); biases use the same bound.
enum DefaultInit {
    static func uniform(_ shape: [Int], fanIn: Int, rng: inout SeededRNG) -> Tensor {
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
    }
}

/// y = x·Wᵀ + b.
public final class Linear: Module {
    public let weight: Variable
    public let bias: Variable?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout SeededRNG) {
        weight = Variable(
            DefaultInit.uniform([outFeatures, inFeatures], fanIn: inFeatures, rng: &rng), requiresGrad: true)
        self.bias =
            bias ? Variable(DefaultInit.uniform([outFeatures], fanIn: inFeatures, rng: &rng), requiresGrad: true) : nil
    }

    public override var localParameters: [(String, Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Int8 weights for reduced-precision inference (`Module.quantizeForInference()`), used whenever no
    /// gradient can flow through this layer; nil: float32 always.
    public private(set) var quantized: QuantizedLinear?

    public func callAsFunction(_ x: Variable) -> Variable {
        int8Product(x, relu: false) ?? linear(x, weight: weight, bias: bias)
    }

    /// `self(x).relu()`; in int8, rectified while the results are converted back to floats (a pass fewer).
    public func rectified(_ x: Variable) -> Variable {
        int8Product(x, relu: true) ?? self(x).relu()
    }

    /// The int8 product, when this layer has int8 weights and no gradient can flow through it; nil otherwise.
    private func int8Product(_ x: Variable, relu: Bool) -> Variable? {
        guard let q = quantized, !(GradMode.isEnabled && (x.requiresGrad || weight.requiresGrad)) else { return nil }
        let y = q(x.value.reshaped([-1, q.inFeatures]), relu: relu)
        return Variable(y.reshaped(x.shape.dropLast() + [q.outFeatures]))
    }

    public override func quantizeLocalWeights() {
        quantized = QuantizedLinear(weight: Kernels.permute(weight.value, [1, 0]), bias: bias?.value)
    }
}

extension Module {
    /// Reduced-precision inference: every layer below that can (`Linear`, and the encoders' convolution
    /// blocks with their batch norm folded in) keeps int8 weights, per output channel, from now on and
    /// multiplies in int8 whenever no gradient flows; training is unaffected. Call after loading the
    /// weights, before sharing the module between threads.
    public func quantizeForInference() {
        quantizeLocalWeights()
        for (_, child) in children { child.quantizeForInference() }
    }
}

/// 1-D convolution over (B, C, L).
public final class Conv1d: Module {
    public let weight: Variable
    public let bias: Variable?
    public let stride: Int, padding: Int

    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, rng: inout SeededRNG
    ) {
        let fanIn = inChannels * kernel
        weight = Variable(
            DefaultInit.uniform([outChannels, inChannels, kernel], fanIn: fanIn, rng: &rng), requiresGrad: true)
        self.bias =
            bias ? Variable(DefaultInit.uniform([outChannels], fanIn: fanIn, rng: &rng), requiresGrad: true) : nil
        self.stride = stride
        self.padding = padding
    }

    public override var localParameters: [(String, Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        conv1d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// 2-D convolution over (B, C, H, W).
public final class Conv2d: Module {
    public let weight: Variable
    public let bias: Variable?
    public let stride: (Int, Int), padding: (Int, Int)

    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), bias: Bool = true, rng: inout SeededRNG
    ) {
        let fanIn = inChannels * kernel.0 * kernel.1
        weight = Variable(
            DefaultInit.uniform([outChannels, inChannels, kernel.0, kernel.1], fanIn: fanIn, rng: &rng),
            requiresGrad: true)
        self.bias =
            bias ? Variable(DefaultInit.uniform([outChannels], fanIn: fanIn, rng: &rng), requiresGrad: true) : nil
        self.stride = stride
        self.padding = padding
    }

    public override var localParameters: [(String, Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
