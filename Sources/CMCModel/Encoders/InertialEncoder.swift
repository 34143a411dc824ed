import CMCCore
import CMCTensor
import Foundation

/// The inertial encoder of CMC-CMKM (method.md §3.1): three Conv1d-BN-ReLU blocks (kernel 5,
/// padding 1, so each shortens the sequence by 2), sinusoidal positional encoding, a post-LN
/// Transformer encoder, and the channel-major flattened feature map as the representation
/// (128 × 44 = 5632 values for the paper's sizes).
public final class InertialEncoder: Module {
    public struct Config: Codable, Sendable, Equatable {
        public var inChannels = 6
        public var channels = [32, 64, 128]
        public var kernel = 5
        public var padding = 1
        public var heads = 2
        public var layers = 2
        public var feedForward = 2048
        public var dropout: Float = 0.1
        /// Time steps of the input: the preprocessor's resample length. Not stored with the architecture
        /// (see `CodingKeys`): whoever owns both — the bundle metadata, the experiment runner — sets it from
        /// the preprocessing, so the value has one home.
        public var length = 50
        public init() {}

        private enum CodingKeys: String, CodingKey {
            case inChannels, channels, kernel, padding, heads, layers, feedForward, dropout
        }

        /// Sequence length after the convolutions.
        public var tokens: Int { channels.reduce(length) { l, _ in l + 2 * padding - kernel + 1 } }
        public var outputSize: Int { (channels.last ?? 0) * tokens }
    }

    public let config: Config
    public let blocks: [ConvBNReLU1d]
    public let positionalDropout: Dropout
    public let transformer: TransformerEncoder
    private let positional: Tensor

    public init(_ config: Config = Config(), rng: inout SeededRNG) {
        self.config = config
        var c = config.inChannels
        var blocks: [ConvBNReLU1d] = []
        for out in config.channels {
            blocks.append(ConvBNReLU1d(c, out, kernel: config.kernel, padding: config.padding, rng: &rng))
            c = out
        }
        self.blocks = blocks
        positionalDropout = Dropout(config.dropout, rng: &rng)
        transformer = TransformerEncoder(
            layers: config.layers, dModel: c, heads: config.heads,
            feedForward: config.feedForward, dropout: config.dropout, rng: &rng)
        positional = InertialEncoder.sinusoid(length: config.tokens, dModel: c)
    }

    public override var children: [(String, Module)] {
        blocks.enumerated().map { ("conv\($0.offset + 1)", $0.element as Module) }
            + [("pos_dropout", positionalDropout), ("transformer", transformer)]
    }

    public var outputSize: Int { config.outputSize }

    /// pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(…).
    static func sinusoid(length: Int, dModel: Int) -> Tensor {
        var pe = Tensor(shape: [length, dModel])
        for pos in 0..<length {
            for i in stride(from: 0, to: dModel, by: 2) {
                let div = exp(Double(i) * -log(10000.0) / Double(dModel))
                pe.storage[pos * dModel + i] = Float(sin(Double(pos) * div))
                if i + 1 < dModel { pe.storage[pos * dModel + i + 1] = Float(cos(Double(pos) * div)) }
            }
        }
        return pe
    }

    /// x: (B, C, L) → (B, channels·tokens).
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(
            x.shape.count == 3 && x.shape[1] == config.inChannels && x.shape[2] == config.length,
            "inertial encoder expects (B, \(config.inChannels), \(config.length)), got \(x.shape)")
        var h = x
        for b in blocks { h = b(h) }
        var t = h.permuted([0, 2, 1]) + Variable(positional) // (B, L, E)
        t = positionalDropout(t)
        t = transformer(t)
        return t.permuted([0, 2, 1]).flattened() // channel-major: index c·L + t
    }
}
