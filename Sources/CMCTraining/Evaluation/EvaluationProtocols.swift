import CMCCore
import CMCData
import CMCModel
import CMCTensor
import Foundation

extension Tensor {
    /// The rows at `positions` of a (N, …) tensor.
    public func rows(_ positions: [Int]) -> Tensor {
        let width = count / Swift.max(shape[0], 1)
        var out = [Float]()
        out.reserveCapacity(positions.count * width)
        for p in positions { out.append(contentsOf: storage[(p * width)..<((p + 1) * width)]) }
        return Tensor(shape: [positions.count] + shape.dropFirst(), storage: out)
    }
}

/// Encoder features of the train / val / test splits, computed once (frozen encoders in eval mode).
public struct FeatureSplits {
    public var train: [Tensor], val: [Tensor], test: [Tensor]
    public var trainLabels: [Int], valLabels: [Int], testLabels: [Int]

    /// With `crop`, the training rows are followed by `crop.copies` temporally cropped copies of every
    /// training clip (same labels), so a head learns from window-like inputs too.
    public init(
        encoders: [(FeatureEncoder, Modality)], train: TrainingSet, val: TrainingSet, test: TrainingSet,
        crop: (TemporalCrop, copies: Int, seed: UInt64)? = nil
    ) {
        self.train = encoders.map { train.features($0.0, modality: $0.1) }
        self.val = encoders.map { val.features($0.0, modality: $0.1) }
        self.test = encoders.map { test.features($0.0, modality: $0.1) }
        trainLabels = train.labels
        valLabels = val.labels
        testLabels = test.labels
        if let crop, crop.copies > 0 {
            var rng = SeededRNG(seed: crop.seed)
            let aug = AugmentationConfig(temporalCrop: crop.0, inertial: .none, skeleton: .none)
            for _ in 0..<crop.copies {
                for (i, (encoder, modality)) in encoders.enumerated() {
                    var copyRNG = rng // the same crops for every modality of a clip
                    let extra = train.features(encoder, modality: modality, augmentation: aug, rng: &copyRNG)
                    self.train[i] = Kernels.concat([self.train[i], extra], axis: 0)
                }
                _ = rng.next()
                rng = rng.fork()
                trainLabels += train.labels
            }
        }
    }

    public init(train: [Tensor], val: [Tensor], test: [Tensor], trainLabels: [Int], valLabels: [Int], testLabels: [Int])
    {
        self.train = train
        self.val = val
        self.test = test
        self.trainLabels = trainLabels
        self.valLabels = valLabels
        self.testLabels = testLabels
    }

    /// Only the given modalities (by position in the encoder list).
    public func selecting(_ i: [Int]) -> FeatureSplits {
        FeatureSplits(
            train: i.map { train[$0] }, val: i.map { val[$0] }, test: i.map { test[$0] },
            trainLabels: trainLabels, valLabels: valLabels, testLabels: testLabels)
    }

    /// Only the training rows at `positions` (a labelled fraction).
    public func limitingTrain(to positions: [Int]) -> FeatureSplits {
        FeatureSplits(
            train: train.map { $0.rows(positions) }, val: val, test: test,
            trainLabels: positions.map { trainLabels[$0] }, valLabels: valLabels, testLabels: testLabels)
    }
}

/// The evaluation protocols of method.md §5.3 and §6, plus fine-tuning (which the paper's code lacks).
public enum EvaluationProtocols {
    /// Trains a head on cached frozen features. `head` maps one feature batch per modality to logits.
    public static func frozenClassifier(
        stage: String, head: Module, features f: FeatureSplits, classCount: Int,
        schedule: ClassifierSchedule, seed: UInt64,
        forward: @escaping ([Variable]) -> Variable
    ) throws -> ClassifierOutcome {
        let loop = ClassifierLoop(stage: stage, schedule: schedule, seed: seed, classCount: classCount)
        return try loop.run(
            trainable: [head], trainCount: f.trainLabels.count, trainLabels: f.trainLabels,
            trainLogits: { idx, _ in [forward(f.train.map { Variable($0.rows(idx)) })] },
            valCount: f.valLabels.count, valLabels: f.valLabels, testCount: f.testLabels.count,
            testLabels: f.testLabels,
            evalLogits: { split, pos in forward((split == 0 ? f.val : f.test).map { Variable($0.rows(pos)) }).value })
    }

    /// Trains a late-fusion classifier on cached frozen features (`f`: inertial, then skeleton), with the
    /// schedule's modality dropout and auxiliary unimodal losses when it sets them (each auxiliary head a
    /// linear layer on its branch, discarded afterwards); evaluation scores the fused logits alone.
    public static func frozenFusionClassifier(
        stage: String, classifier clf: MultiModalClassifier, features f: FeatureSplits, classCount: Int,
        schedule: ClassifierSchedule, seed: UInt64
    ) throws -> ClassifierOutcome {
        let fusion = BalancedFusion(
            clf, schedule: schedule, classCount: classCount, auxiliarySeed: seed &+ 0x6175_7820)
        let loop = ClassifierLoop(stage: stage, schedule: schedule, seed: seed, classCount: classCount)
        return try loop.run(
            trainable: fusion.trainable, trainCount: f.trainLabels.count, trainLabels: f.trainLabels,
            trainLogits: { idx, rng in
                fusion.logits(
                    inertial: Variable(f.train[0].rows(idx)), skeleton: Variable(f.train[1].rows(idx)), rng: &rng)
            },
            valCount: f.valLabels.count, valLabels: f.valLabels, testCount: f.testLabels.count,
            testLabels: f.testLabels,
            evalLogits: { split, pos in
                let x = (split == 0 ? f.val : f.test).map { Variable($0.rows(pos)) }
                return clf(inertial: x[0], skeleton: x[1]).value
            })
    }

    /// Trains encoders and head end to end on (augmented) batches: the supervised baselines and
    /// fine-tuning of pre-trained encoders. `forward` returns the decision's logits, then (in training)
    /// any auxiliary logits the schedule's `unimodalLossWeight` applies to; its random generator draws
    /// training-time choices such as modality dropout.
    public static func endToEnd(
        stage: String, modules: [Module], train: TrainingSet, val: TrainingSet, test: TrainingSet,
        augmentation: AugmentationConfig?, schedule: ClassifierSchedule, seed: UInt64,
        forward: @escaping (TrainingSet.Batch, inout SeededRNG) -> [Variable]
    ) throws -> ClassifierOutcome {
        let loop = ClassifierLoop(stage: stage, schedule: schedule, seed: seed, classCount: train.classCount)
        return try loop.run(
            trainable: modules, trainCount: train.count, trainLabels: train.labels,
            trainLogits: { idx, rng in forward(train.batch(idx, augmentation: augmentation, rng: &rng), &rng) },
            valCount: val.count, valLabels: val.labels, testCount: test.count, testLabels: test.labels,
            evalLogits: { split, pos in
                var rng = SeededRNG(seed: 0)
                return forward((split == 0 ? val : test).batch(pos, rng: &rng), &rng)[0].value
            })
    }
}

/// A late-fusion classifier's training forward with its schedule's balancing options: modality dropout at
/// the fusion, and (with a positive `unimodalLossWeight`) a linear auxiliary head per branch whose logits
/// follow the fused ones. The one definition behind frozen-feature heads and end-to-end training.
struct BalancedFusion {
    let classifier: MultiModalClassifier
    let auxiliary: [Linear]
    let modalityDropout: Float

    /// The auxiliary heads draw from their own generator (`auxiliarySeed`): without them everything else is
    /// initialised and shuffled as before.
    init(_ classifier: MultiModalClassifier, schedule: ClassifierSchedule, classCount: Int, auxiliarySeed: UInt64) {
        self.classifier = classifier
        modalityDropout = schedule.modalityDropout
        var rng = SeededRNG(seed: auxiliarySeed)
        let hidden = classifier.inertial.linear.weight.shape[0]
        auxiliary =
            schedule.unimodalLossWeight > 0 ? (0..<2).map { _ in Linear(hidden, classCount, rng: &rng) } : []
    }

    /// What the optimizer updates: the classifier and the auxiliary heads.
    var trainable: [Module] { [classifier] + auxiliary }

    /// The fused logits, then (in training mode, with auxiliary heads) each branch's own.
    func logits(inertial xi: Variable, skeleton xs: Variable, rng: inout SeededRNG) -> [Variable] {
        let out = classifier.training(inertial: xi, skeleton: xs, modalityDropout: modalityDropout, rng: &rng)
        guard auxiliary.count == 2, classifier.isTraining else { return [out.fused] }
        return [out.fused, auxiliary[0](out.inertial), auxiliary[1](out.skeleton)]
    }
}
