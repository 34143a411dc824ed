import CMCCore
import Foundation

/// Multi-head self-attention equal to `nn.MultiheadAttention(E, heads)` applied as `mha(x, x, x)`,
/// with inputs batch-first (B, L, E). Parameter names match PyTorch's (`in_proj_weight`, …).
public final class MultiheadAttention: Module {
    public let embedDim: Int, heads: Int
    public let inProjWeight: Variable, inProjBias: Variable
    public let outProj: Linear
    public let attnDropout: Dropout

    public init(embedDim: Int, heads: Int, dropout: Float = 0, rng: inout SeededRNG) {
        precondition(embedDim % heads == 0, "embedDim \(embedDim) not divisible by \(heads) heads")
        self.embedDim = embedDim
        self.heads = heads
        // PyTorch: xavier_uniform_ on the packed (3E, E) projection, zero biases.
        let bound = (6 / Float(embedDim + 3 * embedDim)).squareRoot()
        inProjWeight = Variable(
            .uniform([3 * embedDim, embedDim], low: -bound, high: bound, rng: &rng), requiresGrad: true)
        inProjBias = Variable(.zeros([3 * embedDim]), requiresGrad: true)
        outProj = Linear(embedDim, embedDim, rng: &rng)
        outProj.bias!.value = .zeros([embedDim])
        attnDropout = Dropout(dropout, rng: &rng)
    }

    public override var localParameters: [(String, Variable)] {
        [("in_proj_weight", inProjWeight), ("in_proj_bias", inProjBias)]
    }
    public override var children: [(String, Module)] { [("out_proj", outProj), ("dropout", attnDropout)] }

    /// The packed input projection in int8 (`Module.quantizeForInference()`), like every `Linear`: it is the
    /// attention's largest product (L × E × 3E), which in float32 was 13 % of the int8 inertial encoder.
    private var quantizedInProjection: QuantizedLinear?

    public override func quantizeLocalWeights() {
        quantizedInProjection = QuantizedLinear(
            weight: Kernels.permute(inProjWeight.value, [1, 0]), bias: inProjBias.value)
    }

    /// x: (B, L, E) → (B, L, E).
    public func callAsFunction(_ x: Variable) -> Variable {
        let (b, l, e) = (x.shape[0], x.shape[1], x.shape[2])
        let h = heads
        let d = e / h
        let qkv: Variable // (B, L, 3E)
        if let q = quantizedInProjection, !(GradMode.isEnabled && (x.requiresGrad || inProjWeight.requiresGrad)) {
            qkv = Variable(q(x.value.reshaped([b * l, e])).reshaped([b, l, 3 * e]))
        } else {
            qkv = linear(x, weight: inProjWeight, bias: inProjBias)
        }
        func split(_ i: Int) -> Variable { // → (B·H, L, d)
            qkv.sliced(axis: 2, (i * e)..<((i + 1) * e)).reshaped([b, l, h, d]).permuted([0, 2, 1, 3]).reshaped([
                b * h, l, d,
            ])
        }
        let q = split(0) * (1 / Float(d).squareRoot())
        let k = split(1)
        let v = split(2)
        let attn = attnDropout(bmm(q, k, transB: true).softmax(axis: -1)) // (B·H, L, L)
        let ctx = bmm(attn, v).reshaped([b, h, l, d]).permuted([0, 2, 1, 3]).reshaped([b, l, e])
        return outProj(ctx)
    }
}

/// `nn.TransformerEncoderLayer` with PyTorch's defaults: post-LN, ReLU, dropout on the attention
/// output, inside the feed-forward block and on its output. Batch-first (B, L, E).
public final class TransformerEncoderLayer: Module {
    public let selfAttn: MultiheadAttention
    public let linear1: Linear, linear2: Linear
    public let norm1: LayerNorm, norm2: LayerNorm
    public let dropout: Dropout, dropout1: Dropout, dropout2: Dropout

    public init(dModel: Int, heads: Int, feedForward: Int = 2048, dropout p: Float = 0.1, rng: inout SeededRNG) {
        selfAttn = MultiheadAttention(embedDim: dModel, heads: heads, dropout: p, rng: &rng)
        linear1 = Linear(dModel, feedForward, rng: &rng)
        dropout = Dropout(p, rng: &rng)
        linear2 = Linear(feedForward, dModel, rng: &rng)
        norm1 = LayerNorm(dModel)
        norm2 = LayerNorm(dModel)
        dropout1 = Dropout(p, rng: &rng)
        dropout2 = Dropout(p, rng: &rng)
    }

    public override var children: [(String, Module)] {
        [
            ("self_attn", selfAttn), ("linear1", linear1), ("dropout", dropout), ("linear2", linear2),
            ("norm1", norm1), ("norm2", norm2), ("dropout1", dropout1), ("dropout2", dropout2),
        ]
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let a = norm1(x + dropout1(selfAttn(x)))
        let hidden = dropout.isTraining ? dropout.afterReLU(linear1(a)) : linear1.rectified(a)
        return norm2(a + dropout2(linear2(hidden)))
    }
}

/// A stack of encoder layers (`nn.TransformerEncoder` without a final norm).
public final class TransformerEncoder: Module {
    public let layers: [TransformerEncoderLayer]

    public init(
        layers n: Int, dModel: Int, heads: Int, feedForward: Int = 2048, dropout: Float = 0.1,
        rng: inout SeededRNG
    ) {
        layers = (0..<n).map { _ in
            TransformerEncoderLayer(dModel: dModel, heads: heads, feedForward: feedForward, dropout: dropout, rng: &rng)
        }
    }

    public override var children: [(String, Module)] { layers.enumerated().map { ("layers.\($0.offset)", $0.element) } }

    public func callAsFunction(_ x: Variable) -> Variable { layers.reduce(x) { $1($0) } }
}
