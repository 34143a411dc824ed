import CMCCore
import CMCTensor

/// The skeleton encoder of CMC-CMKM (method.md §3.2): an HCN-style two-stream co-occurrence CNN.
/// One stream sees joint positions, the other frame-to-frame motion; after two convolutions the
/// joint axis becomes the channel axis, so later convolutions mix all joints ("co-occurrence").
/// The streams are fused by concatenation along the height (time) axis, as the reference code does.
public final class SkeletonEncoder: Module {
    public struct Config: Codable, Sendable, Equatable {
        public var inChannels = 3
        public var joints = 20
        /// Time steps of the input: the preprocessor's resample length, not stored with the architecture
        /// (as `InertialEncoder.Config.length`).
        public var length = 50
        public var channels = [64, 32, 32, 64, 128, 256]
        public init() {}

        private enum CodingKeys: String, CodingKey { case inChannels, joints, channels }

        /// Flattened output size, derived by following the shapes through the network.
        public var outputSize: Int {
            // After conv2 (3×1) and the permute, height is conv2's channels and width is time.
            var h = channels[1]
            var w = length - 2
            h = (h - 2) / 2
            w = (w - 2) / 2 // conv3 3×3 + pool
            h = (h - 2) / 2
            w = (w - 2) / 2 // conv4
            h *= 2 // fuse along height
            h = (h - 2) / 2
            w = (w - 2) / 2 // conv5
            h = (h - 2) / 2
            w = (w - 2) / 2 // conv6
            return channels[5] * h * w
        }
    }

    public let config: Config
    public let conv1j: ConvBN2d, conv2j: ConvBN2d, conv3j: ConvBN2d, conv4j: ConvBN2d
    public let conv1m: ConvBN2d, conv2m: ConvBN2d, conv3m: ConvBN2d, conv4m: ConvBN2d
    public let conv5: ConvBN2d, conv6: ConvBN2d

    public init(_ config: Config = Config(), rng: inout SeededRNG) {
        self.config = config
        let c = config.channels
        func stream(_ rng: inout SeededRNG) -> (ConvBN2d, ConvBN2d, ConvBN2d, ConvBN2d) {
            (
                ConvBN2d(config.inChannels, c[0], kernel: (1, 1), relu: true, pool: false, rng: &rng),
                ConvBN2d(c[0], c[1], kernel: (3, 1), relu: false, pool: false, rng: &rng),
                ConvBN2d(config.joints, c[2], kernel: (3, 3), relu: false, pool: true, rng: &rng),
                ConvBN2d(c[2], c[3], kernel: (3, 3), relu: false, pool: true, rng: &rng)
            )
        }
        (conv1j, conv2j, conv3j, conv4j) = stream(&rng)
        (conv1m, conv2m, conv3m, conv4m) = stream(&rng)
        conv5 = ConvBN2d(c[3], c[4], kernel: (3, 3), relu: true, pool: true, rng: &rng)
        conv6 = ConvBN2d(c[4], c[5], kernel: (3, 3), relu: true, pool: true, rng: &rng)
    }

    public override var children: [(String, Module)] {
        [
            ("conv1_j", conv1j), ("conv2_j", conv2j), ("conv3_j", conv3j), ("conv4_j", conv4j),
            ("conv1_m", conv1m), ("conv2_m", conv2m), ("conv3_m", conv3m), ("conv4_m", conv4m),
            ("conv5", conv5), ("conv6", conv6),
        ]
    }

    public var outputSize: Int { config.outputSize }

    /// x: (B, C, T, J) → (B, outputSize).
    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(
            x.shape.count == 4 && x.shape[1] == config.inChannels && x.shape[2] == config.length
                && x.shape[3] == config.joints,
            "skeleton encoder expects (B, \(config.inChannels), \(config.length), \(config.joints)), got \(x.shape)")
        let (j, m): (Variable, Variable)
        // The streams hold most of the encoder's work and share nothing but the input: given both cores
        // (a SimCLR skeleton stage), they run side by side, forward and backward.
        if Concurrently.splitsWork {
            (j, m) = concurrentBranches(from: x, jointStream, motionStream)
        } else {
            (j, m) = (jointStream(x), motionStream(x))
        }
        return conv6(conv5(concat([j, m], axis: 2))).flattened()
    }

    private func jointStream(_ x: Variable) -> Variable { stream(x, (conv1j, conv2j, conv3j, conv4j)) }

    /// The motion stream sees m[t] = x[t] − x[t−1], m[0] = 0.
    private func motionStream(_ x: Variable) -> Variable {
        let t = x.shape[2]
        let motion = (x.sliced(axis: 2, 1..<t) - x.sliced(axis: 2, 0..<(t - 1))).padded(axis: 2, before: 1, after: 0)
        return stream(motion, (conv1m, conv2m, conv3m, conv4m))
    }

    private func stream(_ input: Variable, _ s: (ConvBN2d, ConvBN2d, ConvBN2d, ConvBN2d)) -> Variable {
        // Joints become channels: (B, C, T, J) is the third block's input (B, J, C, T) held channels-last.
        return s.3(s.2(channelsLast: s.1(s.0(input))))
    }
}
