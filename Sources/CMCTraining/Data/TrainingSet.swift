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
    public func batch(_ indices: [Int], augmentation: AugmentationConfig? = nil, rng: inout SeededRNG) -> Batch {
        var views: [ModelInput] = []
        views.reserveCapacity(indices.count)
        for i in indices {
            guard let aug = augmentation else {
                views.append(inputs[i])
                continue
            }
            if aug.temporalCrop != nil,
                let v = try? preprocessor.augmentedInput(samples[i], augmentations: aug, rng: &rng)
            {
                views.append(v)
            } else {
                views.append(preprocessor.augment(inputs[i], augmentations: aug, rng: &rng))
            }
        }
        return Batch(
            inertial: Tensor.stacked(views.map { $0.inertial! }), skeleton: Tensor.stacked(views.map { $0.skeleton! }),
            labels: views.map(\.label), indices: indices)
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
