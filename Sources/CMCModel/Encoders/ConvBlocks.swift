import CMCCore
import CMCTensor

/// Conv1d → BatchNorm1d → ReLU (the inertial encoder's convolutional blocks).
public final class ConvBNReLU1d: Module {
    public let conv: Conv1d
    public let bn: BatchNorm
    private let folded = FoldedWeights()

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, padding: Int, rng: inout SeededRNG) {
        conv = Conv1d(inChannels, outChannels, kernel: kernel, padding: padding, rng: &rng)
        bn = BatchNorm(outChannels)
    }

    public override var children: [(String, Module)] { [("conv", conv), ("bn", bn)] }

    public func callAsFunction(_ x: Variable) -> Variable {
        if bn.canFold(input: x, conv.parameters) {
            if let q = quantized {
                let (b, c, l) = (x.shape[0], x.shape[1], x.shape[2])
                let y = q(x.value.reshaped([b, c, 1, l]), relu: true)
                return Variable(y.reshaped([b, y.shape[1], y.shape[3]]))
            }
            let (w, b) = folded.get(weight: conv.weight, bias: conv.bias, norm: bn)
            return conv1d(x, weight: Variable(w), bias: Variable(b), stride: conv.stride, padding: conv.padding).relu()
        }
        return bn(conv(x)).relu()
    }

    /// The convolution with its batch norm folded in, in int8 (`Module.quantizeForInference()`).
    private var quantized: QuantizedConvolution?

    public override func quantizeLocalWeights() {
        let (w, b) = folded.get(weight: conv.weight, bias: conv.bias, norm: bn)
        let s = w.shape
        quantized = QuantizedConvolution(
            weight: w.reshaped([s[0], s[1], 1, s[2]]), bias: b, stride: (1, conv.stride), padding: (0, conv.padding))
    }
}

/// Conv2d → BatchNorm2d, with the activation and pooling chosen per stage (the skeleton encoder's
/// stages differ: some have no ReLU, some pool).
public final class ConvBN2d: Module {
    public let conv: Conv2d
    public let bn: BatchNorm
    public let relu: Bool, pool: Bool
    private let folded = FoldedWeights()

    public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), relu: Bool, pool: Bool, rng: inout SeededRNG)
    {
        conv = Conv2d(inChannels, outChannels, kernel: kernel, rng: &rng)
        bn = BatchNorm(outChannels)
        self.relu = relu
        self.pool = pool
    }

    public override var children: [(String, Module)] { [("conv", conv), ("bn", bn)] }

    /// A 1×1 convolution of a few channels (the skeleton encoder's first, 3 → 64) trains as one op with its
    /// batch norm and ReLU: its output, 64/3 times the input's size, is then never stored nor re-read.
    /// (The fused kernel loops over the input channels per output value; a GEMM wins for many of them.)
    private var fusesPointwise: Bool {
        conv.weight.shape[1] <= 8 && conv.weight.shape[2] == 1 && conv.weight.shape[3] == 1 && conv.stride == (1, 1)
            && conv.padding == (0, 0)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        var y: Variable
        if bn.canFold(input: x, conv.parameters) {
            if let q = quantized {
                y = Variable(q(x.value, relu: relu))
            } else {
                let (w, b) = folded.get(weight: conv.weight, bias: conv.bias, norm: bn)
                y = conv2d(x, weight: Variable(w), bias: Variable(b), stride: conv.stride, padding: conv.padding)
                if relu { y = y.relu() }
            }
        } else if bn.isTraining && fusesPointwise {
            y = bn.afterPointwise(conv, x, relu: relu)
        } else {
            y = bn(conv(x))
            if relu { y = y.relu() }
        }
        if pool { y = maxPool2d(y, kernel: (2, 2)) }
        return y
    }

    /// `self(x.permuted([0, 3, 1, 2]))`: `x` (B, H, W, C) is this block's input held channels-last. In int8
    /// the permuted copy is never made (`QuantizedConvolution.callAsFunction(channelsLast:)`); elsewhere it is.
    public func callAsFunction(channelsLast x: Variable) -> Variable {
        guard let q = quantized, bn.canFold(input: x, conv.parameters) else { return self(x.permuted([0, 3, 1, 2])) }
        let y = Variable(q(channelsLast: x.value, relu: relu))
        return pool ? maxPool2d(y, kernel: (2, 2)) : y
    }

    /// The convolution with its batch norm folded in, in int8 (`Module.quantizeForInference()`).
    private var quantized: QuantizedConvolution?

    /// The pointwise convolution of a few channels stays in float32: its product is a few multiply-adds per
    /// output, where int8 would add a quantising and a dequantising pass over an output 64/3 times the input's
    /// size (measured: the first layer's dequantisation was the largest share of the int8 skeleton encoder).
    public override func quantizeLocalWeights() {
        guard !fusesPointwise else { return }
        let (w, b) = folded.get(weight: conv.weight, bias: conv.bias, norm: bn)
        quantized = QuantizedConvolution(weight: w, bias: b, stride: conv.stride, padding: conv.padding)
    }
}
