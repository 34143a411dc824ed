import CMCCore

/// Which axis the reference's inertial augmentations act on (method.md §2.1).
///
/// The reference applies them to the already-permuted `(C, T)` tensor although they were written
/// for `(T, C)`, so "channel_shuffle" shuffles time steps, "permutation" permutes channel blocks,
/// and scaling / sign flip draw one factor per element. `.asInReference` reproduces that (needed to
/// reproduce the reported numbers); `.asNamed` does what the names say.
public enum InertialAugmentationSemantics: String, Sendable, Codable, CaseIterable {
    case asInReference
    case asNamed
}

/// Random inertial augmentations on a preprocessed `(C, T)` array, each applied with its own
/// probability (torchvision `RandomApply`), in the reference order:
/// jittering → scaling → rotation (sign flip) → permutation → channel shuffle. nil = disabled.
public struct InertialAugmentations: Sendable, Codable, Equatable {
    public struct Jittering: Sendable, Codable, Equatable {
        public var sigma: Double, probability: Double
        public init(sigma: Double, probability: Double) {
            self.sigma = sigma
            self.probability = probability
        }
    }
    public struct Scaling: Sendable, Codable, Equatable {
        public var sigma: Double, probability: Double
        public init(sigma: Double, probability: Double) {
            self.sigma = sigma
            self.probability = probability
        }
    }
    /// The reference calls this "rotation": multiplication by random ±1.
    public struct SignFlip: Sendable, Codable, Equatable {
        public var probability: Double
        public init(probability: Double) { self.probability = probability }
    }
    public struct Permutation: Sendable, Codable, Equatable {
        /// Segment count is drawn from `1 ..< maxSegments` (numpy's exclusive `randint`).
        public var maxSegments: Int, probability: Double
        public init(maxSegments: Int, probability: Double) {
            self.maxSegments = maxSegments
            self.probability = probability
        }
    }
    public struct ChannelShuffle: Sendable, Codable, Equatable {
        public var probability: Double
        public init(probability: Double) { self.probability = probability }
    }

    public var semantics: InertialAugmentationSemantics
    public var jittering: Jittering?
    public var scaling: Scaling?
    public var signFlip: SignFlip?
    public var permutation: Permutation?
    public var channelShuffle: ChannelShuffle?

    public init(
        semantics: InertialAugmentationSemantics = .asInReference, jittering: Jittering? = nil,
        scaling: Scaling? = nil, signFlip: SignFlip? = nil, permutation: Permutation? = nil,
        channelShuffle: ChannelShuffle? = nil
    ) {
        self.semantics = semantics
        self.jittering = jittering
        self.scaling = scaling
        self.signFlip = signFlip
        self.permutation = permutation
        self.channelShuffle = channelShuffle
    }

    /// No augmentation.
    public static let none = InertialAugmentations()
    /// `augmentations_utd.yaml`: jittering σ 1, scaling σ 1, permutation (≤ 2 segments), channel shuffle; p 0.75.
    public static let utdMHAD = InertialAugmentations(
        jittering: Jittering(sigma: 1, probability: 0.75), scaling: Scaling(sigma: 1, probability: 0.75),
        permutation: Permutation(maxSegments: 3, probability: 0.75), channelShuffle: ChannelShuffle(probability: 0.75))
    /// SmartFallMM has no reference setting: it uses UTD-MHAD's (also a 6-channel wrist IMU).
    public static let smartFallMM = utdMHAD

    /// Applies the enabled augmentations to `x` of shape `(C, T)`.
    public func apply(_ x: DataArray, rng: inout SeededRNG) -> DataArray {
        precondition(x.rank == 2, "inertial augmentations expect (C, T), got \(x.shape)")
        var y = x
        if let a = jittering, rng.bernoulli(a.probability) { y = Self.jitter(y, sigma: a.sigma, rng: &rng) }
        if let a = scaling, rng.bernoulli(a.probability) {
            y =
                semantics == .asInReference
                ? Self.scalePerElement(y, sigma: a.sigma, rng: &rng)
                : Self.scalePerChannel(y, sigma: a.sigma, rng: &rng)
        }
        if let a = signFlip, rng.bernoulli(a.probability) {
            y = semantics == .asInReference ? Self.flipPerElement(y, rng: &rng) : Self.flipPerChannel(y, rng: &rng)
        }
        if let a = permutation, rng.bernoulli(a.probability) {
            y = Self.permuteSegments(
                y, axis: semantics == .asInReference ? 0 : 1, maxSegments: a.maxSegments, rng: &rng)
        }
        if let a = channelShuffle, rng.bernoulli(a.probability) {
            y = Self.shuffle(y, axis: semantics == .asInReference ? 1 : 0, rng: &rng)
        }
        return y
    }

    // MARK: - The individual operations (public for tests and custom pipelines)

    /// `x + N(0, σ²)` per element.
    public static func jitter(_ x: DataArray, sigma: Double, rng: inout SeededRNG) -> DataArray {
        var y = x
        for i in y.values.indices { y.values[i] += Float(rng.normal(mean: 0, std: sigma)) }
        return y
    }

    /// `x · N(1, σ²)` with an independent factor per element (reference).
    public static func scalePerElement(_ x: DataArray, sigma: Double, rng: inout SeededRNG) -> DataArray {
        var y = x
        for i in y.values.indices { y.values[i] *= Float(rng.normal(mean: 1, std: sigma)) }
        return y
    }

    /// `x · N(1, σ²)` with one factor per channel (row).
    public static func scalePerChannel(_ x: DataArray, sigma: Double, rng: inout SeededRNG) -> DataArray {
        var y = x
        let t = x.shape[1]
        for c in 0..<x.shape[0] {
            let f = Float(rng.normal(mean: 1, std: sigma))
            for i in c * t..<(c + 1) * t { y.values[i] *= f }
        }
        return y
    }

    /// Random ±1 per element (reference "rotation").
    public static func flipPerElement(_ x: DataArray, rng: inout SeededRNG) -> DataArray {
        var y = x
        for i in y.values.indices where rng.bernoulli(0.5) { y.values[i] = -y.values[i] }
        return y
    }

    /// Random ±1 per channel.
    public static func flipPerChannel(_ x: DataArray, rng: inout SeededRNG) -> DataArray {
        var y = x
        let t = x.shape[1]
        for c in 0..<x.shape[0] where rng.bernoulli(0.5) {
            for i in c * t..<(c + 1) * t { y.values[i] = -y.values[i] }
        }
        return y
    }

    /// Splits `axis` into k contiguous chunks (numpy `array_split` sizes), k drawn from
    /// `1 ..< maxSegments`, and reorders the chunks randomly. k = 1 leaves x unchanged.
    public static func permuteSegments(_ x: DataArray, axis: Int, maxSegments: Int, rng: inout SeededRNG) -> DataArray {
        let k = maxSegments > 1 ? rng.int(in: 1..<maxSegments) : 1
        let n = x.shape[axis]
        guard k > 1, n > 1 else { return x }
        // array_split: the first n % k chunks get one extra element.
        var chunks = [Range<Int>]()
        var start = 0
        for i in 0..<k {
            let size = n / k + (i < n % k ? 1 : 0)
            chunks.append(start..<start + size)
            start += size
        }
        let order = rng.permutation(k)
        return x.gather(axis: axis, indices: order.flatMap { Array(chunks[$0]) })
    }

    /// A uniformly random permutation of the indices along `axis` (reference "channel_shuffle" uses axis 1 = time).
    public static func shuffle(_ x: DataArray, axis: Int, rng: inout SeededRNG) -> DataArray {
        x.gather(axis: axis, indices: rng.permutation(x.shape[axis]))
    }
}
