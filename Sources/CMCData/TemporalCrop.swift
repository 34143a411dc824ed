import CMCCore

/// Random temporal crop / extension of a raw clip before resampling.
///
/// A live stream is cut into fixed windows that rarely start and end where a labelled clip does;
/// training on randomly cropped (and edge-padded) clips makes the models robust to that. The crop
/// is drawn once in relative time and applied to every modality, so IMU and skeleton stay aligned
/// even though their sample rates differ. With `minFraction` 0.7, no extension and only the
/// skeleton, it is the reference's supervised `VariableLengthRandomCrop(0.7)` (§2.3).
public struct TemporalCrop: Sendable, Codable, Equatable {
    /// The kept fraction is drawn from `U(minFraction, 1)`.
    public var minFraction: Double
    /// After cropping, pad with copies of the edge frames by a fraction drawn from
    /// `U(0, maxExtension)` of the cropped length, split randomly between start and end.
    public var maxExtension: Double
    public var probability: Double
    public var cropInertial: Bool
    public var cropSkeleton: Bool

    public init(
        minFraction: Double, maxExtension: Double = 0, probability: Double = 1,
        cropInertial: Bool = true, cropSkeleton: Bool = true
    ) {
        precondition(minFraction > 0 && minFraction <= 1, "minFraction must be in (0, 1]")
        precondition(maxExtension >= 0, "maxExtension must be ≥ 0")
        self.minFraction = minFraction
        self.maxExtension = maxExtension
        self.probability = probability
        self.cropInertial = cropInertial
        self.cropSkeleton = cropSkeleton
    }

    /// The supervised skeleton baseline's raw crop (method.md §2.3).
    public static let supervisedSkeleton = TemporalCrop(minFraction: 0.7, cropInertial: false)
    /// A setting for models meant to run on windows cut from a live stream.
    public static let streaming = TemporalCrop(minFraction: 0.7, maxExtension: 0.2, probability: 0.8)

    /// A drawn crop in relative time, applicable to any modality.
    public struct Window: Sendable, Equatable {
        /// Kept fraction, start of the kept part (fraction of the free room), pad fractions.
        public var fraction: Double, startPosition: Double, padBefore: Double, padAfter: Double

        /// Frame indices (into a clip of `length` frames) the window selects; edge frames repeat as padding.
        public func indices(length: Int) -> [Int] {
            let kept = max(1, min(length, Int(fraction * Double(length))))
            let start = Int((Double(length - kept) * startPosition).rounded())
            let before = Int((padBefore * Double(kept)).rounded())
            let after = Int((padAfter * Double(kept)).rounded())
            return Array(repeating: start, count: before) + Array(start..<start + kept)
                + Array(repeating: start + kept - 1, count: after)
        }
    }

    /// Draws a window (or the identity window when the probability check fails).
    public func draw(rng: inout SeededRNG) -> Window {
        guard rng.bernoulli(probability) else {
            return Window(fraction: 1, startPosition: 0, padBefore: 0, padAfter: 0)
        }
        let fraction = rng.uniform(minFraction, 1)
        let start = rng.uniform()
        let extra = maxExtension > 0 ? rng.uniform(0, maxExtension) : 0
        let share = rng.uniform()
        return Window(fraction: fraction, startPosition: start, padBefore: extra * share, padAfter: extra * (1 - share))
    }

    /// Crops both modalities of a raw sample consistently in relative time (time is axis 1).
    public func apply(to sample: Sample, rng: inout SeededRNG) -> Sample {
        let window = draw(rng: &rng)
        var out = sample
        if cropInertial, let x = sample.inertial {
            out.inertial = x.gather(axis: 1, indices: window.indices(length: x.shape[1]))
        }
        if cropSkeleton, let x = sample.skeleton {
            out.skeleton = x.gather(axis: 1, indices: window.indices(length: x.shape[1]))
        }
        return out
    }
}

/// Everything random done to one view of a sample: an optional raw-clip crop, then preprocessing,
/// then the per-modality augmentations.
public struct AugmentationConfig: Sendable, Codable, Equatable {
    public var temporalCrop: TemporalCrop?
    public var inertial: InertialAugmentations
    public var skeleton: SkeletonAugmentations

    public init(temporalCrop: TemporalCrop? = nil, inertial: InertialAugmentations, skeleton: SkeletonAugmentations) {
        self.temporalCrop = temporalCrop
        self.inertial = inertial
        self.skeleton = skeleton
    }

    public static let none = AugmentationConfig(inertial: .none, skeleton: .none)
    /// Contrastive pre-training on UTD-MHAD (SimCLR / CMC / CMKM), as in the reference.
    public static let utdMHAD = AugmentationConfig(inertial: .utdMHAD, skeleton: .utdMHAD)
    /// Contrastive pre-training on SmartFallMM (UTD settings, skeleton treated as 3-D).
    public static let smartFallMM = AugmentationConfig(inertial: .smartFallMM, skeleton: .smartFallMM)
}

extension Preprocessor {
    /// One randomly augmented view: crop the raw clip, preprocess, augment each modality.
    public func augmentedInput(
        _ sample: Sample, augmentations: AugmentationConfig,
        rng: inout SeededRNG
    ) throws -> ModelInput {
        let raw = augmentations.temporalCrop.map { $0.apply(to: sample, rng: &rng) } ?? sample
        var input = try self(raw)
        if let x = input.inertial { input.inertial = augmentations.inertial.apply(x, rng: &rng) }
        if let x = input.skeleton { input.skeleton = augmentations.skeleton.apply(x, rng: &rng) }
        return input
    }

    /// Augments an already preprocessed input (no raw crop possible): the fast path for training
    /// loops that preprocess the dataset once.
    public func augment(_ input: ModelInput, augmentations: AugmentationConfig, rng: inout SeededRNG) -> ModelInput {
        var out = input
        if let x = input.inertial { out.inertial = augmentations.inertial.apply(x, rng: &rng) }
        if let x = input.skeleton { out.skeleton = augmentations.skeleton.apply(x, rng: &rng) }
        return out
    }
}
