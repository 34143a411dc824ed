import CMCCore
import CMCData
import CMCModel
import CMCTensor

/// One split of a dataset, preprocessed once, from which (augmented) batches are drawn.
///
/// Base preprocessing (resampling, normalisation) is deterministic, so it runs once here; augmented
/// views are made per batch from the preprocessed arrays — or from the raw clip when a temporal crop
/// is configured, since cropping must happen before resampling.
public struct TrainingSet: Sendable {
    public let name: String
    public let samples: [Sample]
    public let inputs: [ModelInput]
    public let preprocessor: Preprocessor
    public let classCount: Int

    public init(name: String, samples: [Sample], preprocessor: Preprocessor, classCount: Int) {
        let (inputs, problems) = preprocessor.prepare(samples)
        let kept = Set(inputs.map(\.id))
        self.name = name
        self.samples = samples.filter { kept.contains($0.id) }
        self.inputs = inputs
        self.preprocessor = preprocessor
        self.classCount = classCount
        for p in problems { trainingLog.warning("\(name): skipped \(p.file): \(p.message)") }
    }

    public var count: Int { inputs.count }
    public var labels: [Int] { inputs.map(\.label) }
    public var isEmpty: Bool { inputs.isEmpty }

    /// A batch of model inputs as tensors: inertial (B, C, L), skeleton (B, C, L, J), labels.
    public struct Batch {
        public var inertial: Tensor
        public var skeleton: Tensor
        public var labels: [Int]
        public var indices: [Int]
    }

    /// Builds the batch for `indices`, augmenting each sample independently when `augmentation` is given.
    /// The random draws are made sample by sample: a sample's crop window, its inertial augmentations,
    /// then its skeleton ones.
    public func batch(_ indices: [Int], augmentation: AugmentationConfig? = nil, rng: inout SeededRNG) -> Batch {
        let views = indices.map { view($0, of: nil, augmentation: augmentation, rng: &rng) }
        return Batch(
            inertial: Tensor.stacked(views.map { $0.inertial! }), skeleton: Tensor.stacked(views.map { $0.skeleton! }),
            labels: views.map(\.label), indices: indices)
    }

    /// One modality of the batch for `indices`, (B, …) as in `Batch`. Only that modality is cropped,
    /// preprocessed and augmented (the other's augmentations cost as much again and would be thrown away).
    ///
    /// Each view draws from a generator of its own, forked from `rng` in view order, so the views are built
    /// on both cores and do not depend on how many draws the others took: the same seed gives the same views
    /// whichever modality is asked for, and for the same modality, other views than
    /// `batch(_:augmentation:rng:)`, whose single stream runs through both modalities of every sample.
    /// An index may repeat; each occurrence is a view of its own (SimCLR asks for `indices + indices`).
    public func batch(
        _ indices: [Int], of modality: Modality, augmentation: AugmentationConfig? = nil, rng: inout SeededRNG
    ) -> Tensor {
        let generators = indices.map { _ in rng.fork() }
        func views(_ range: Range<Int>) -> [DataArray] {
            range.map { k in
                var g = generators[k]
                return view(indices[k], of: modality, augmentation: augmentation, rng: &g)[modality]!
            }
        }
        let half = indices.count / 2
        let (first, second) = Concurrently.run({ views(0..<half) }, { views(half..<indices.count) })
        return Tensor.stacked(first + second)
    }

    /// Sample `i`'s model input — only `modality` when given — augmented when `augmentation` is.
    private func view(
        _ i: Int, of modality: Modality?, augmentation: AugmentationConfig?, rng: inout SeededRNG
    ) -> ModelInput {
        let input = modality.map { inputs[i].keeping($0) } ?? inputs[i]
        guard let aug = augmentation else { return input }
        if aug.temporalCrop != nil {
            let sample = modality.map { samples[i].keeping($0) } ?? samples[i]
            if let v = try? preprocessor.augmentedInput(sample, augmentations: aug, rng: &rng) { return v }
        }
        return preprocessor.augment(input, augmentations: aug, rng: &rng)
    }

    /// The index batches of one epoch.
    public func epoch(batchSize: Int, shuffle: Bool, dropLast: Bool, rng: inout SeededRNG) -> [[Int]] {
        OptimizationEpoch.batches(count: count, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, rng: &rng)
    }

    /// Restricts the set to the given sample positions (e.g. a labelled fraction).
    public func subset(_ positions: [Int], name: String? = nil) -> TrainingSet {
        TrainingSet(
            name: name ?? self.name, samples: positions.map { samples[$0] }, preprocessor: preprocessor,
            classCount: classCount)
    }
}
