import CMCCore
import CMCData
import CMCModel
import CMCTensor

/// The two input modalities.
public enum Modality: String, Codable, Sendable, CaseIterable {
    case inertial, skeleton
}

/// An encoder as the trainers see it: a module mapping a batch of one modality to flat features.
public protocol FeatureEncoder: Module {
    var outputSize: Int { get }
    func callAsFunction(_ x: Variable) -> Variable
    /// Whether training this encoder alone is faster with both cores handed to its own branches
    /// (`Concurrently.withBothCores`) than with two BLAS threads.
    var trainsOnBothCores: Bool { get }
}

extension InertialEncoder: FeatureEncoder {
    /// No independent branches: its large feed-forward GEMMs use two BLAS threads well.
    public var trainsOnBothCores: Bool { false }
}

extension SkeletonEncoder: FeatureEncoder {
    /// The joint and motion streams run side by side (a SimCLR step at batch 32: 153–163 ms with them on
    /// one core each and BLAS single-threaded, 168–192 ms with two BLAS threads around them, 257–286 ms on
    /// one core).
    public var trainsOnBothCores: Bool { true }
}

extension TrainingSet.Batch {
    public func input(_ m: Modality) -> Tensor { m == .inertial ? inertial : skeleton }
}

extension ModelInput {
    /// The array of one modality (nil when the sample lacks it).
    public subscript(_ m: Modality) -> DataArray? { m == .inertial ? inertial : skeleton }

    /// The input with only modality `m`.
    func keeping(_ m: Modality) -> ModelInput {
        var out = self
        if m == .inertial { out.skeleton = nil } else { out.inertial = nil }
        return out
    }
}

extension Sample {
    /// The sample with only modality `m`.
    func keeping(_ m: Modality) -> Sample {
        var out = self
        if m == .inertial { out.skeleton = nil } else { out.inertial = nil }
        return out
    }
}

extension TrainingSet {
    /// Encoder features of every sample (eval mode, no augmentation, no graph), in batches.
    public func features(_ encoder: FeatureEncoder, modality: Modality, batchSize: Int = 128) -> Tensor {
        var rng = SeededRNG(seed: 0)
        return features(encoder, modality: modality, augmentation: nil, rng: &rng, batchSize: batchSize)
    }

    /// Features of (optionally augmented) views of every sample, in order.
    public func features(
        _ encoder: FeatureEncoder, modality: Modality, augmentation: AugmentationConfig?,
        rng: inout SeededRNG, batchSize: Int = 128
    ) -> Tensor {
        let wasTraining = encoder.isTraining
        encoder.eval()
        defer { encoder.train(wasTraining) }
        var rows: [Float] = []
        rows.reserveCapacity(count * encoder.outputSize)
        GradMode.withoutGrad {
            for start in stride(from: 0, to: count, by: batchSize) {
                let b = batch(Array(start..<Swift.min(start + batchSize, count)), augmentation: augmentation, rng: &rng)
                rows.append(contentsOf: encoder(Variable(b.input(modality))).value.storage)
            }
        }
        return Tensor(shape: [count, encoder.outputSize], storage: rows)
    }
}
