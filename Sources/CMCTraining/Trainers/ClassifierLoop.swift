import CMCCore
import CMCTensor
import Foundation

/// How a classifier's weights are chosen, and whether the validation subjects' labels may steer training.
public enum ModelSelection: String, Codable, Sendable, CaseIterable {
    /// The paper's protocol: keep the epoch of best validation accuracy, lower the learning rate when
    /// that accuracy plateaus, stop early when the validation loss stalls. The validation figure is then
    /// optimistic: the best of ~100 noisy epochs, on the very clips it is reported on.
    case bestValidation = "best-validation"
    /// The validation labels never steer training: the learning rate follows the training loss, no early
    /// stop, the last epoch's weights are kept. Cross-validation uses it, so that each fold's figure
    /// estimates a subject no choice has seen (validation is still scored every epoch, for the record).
    case lastEpoch = "last-epoch"
}

/// Settings of a supervised stage: the frozen-encoder evaluation classifier (method.md §5.3), the
/// supervised baselines (§5.4) and fine-tuning.
public struct ClassifierSchedule: Codable, Sendable, Equatable {
    public var epochs = 100
    public var batchSize = 64
    public var learningRate: Float = 1e-3
    /// Early stopping on the validation loss (best-validation selection only).
    public var earlyStoppingPatience = 50
    /// ReduceLROnPlateau on validation accuracy (max), or on the training loss (min) with last-epoch
    /// selection; nil for none (the unimodal linear evaluation).
    public var plateauPatience: Int? = 5
    public var plateauFactor: Float = 0.5
    public var selection = ModelSelection.bestValidation
    /// The learning rate falls from `learningRate` towards 0 along a half cosine over the epochs, in place of
    /// the plateau scheduler: the last epoch is then a settled one rather than one sample of a noisy walk
    /// (at a constant rate a linear head's validation accuracy moves by points from epoch to epoch).
    public var cosine = false
    /// Late-fusion heads only (on frozen features or end to end): each modality's branch also classifies
    /// alone through a linear head of its own, and those cross-entropies are added with this weight (0: off,
    /// the paper). Trained only through the fused head, the branch that fits the training set first (the
    /// inertial one here) drives the loss to zero and the other stops learning; the auxiliary losses keep
    /// both learning.
    public var unimodalLossWeight: Float = 0
    /// Late-fusion heads only (on frozen features or end to end): the probability that a training example
    /// has one of its modalities (chosen at random) zeroed at the fusion, so the fused head must also decide
    /// from either alone (0: off, the paper).
    public var modalityDropout: Float = 0
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, earlyStoppingPatience, plateauPatience, plateauFactor, selection
        case cosine, unimodalLossWeight, modalityDropout
    }

    /// Files written before `selection` existed read as the protocol they were trained with.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        earlyStoppingPatience = try c.decode(Int.self, forKey: .earlyStoppingPatience)
        plateauPatience = try c.decodeIfPresent(Int.self, forKey: .plateauPatience)
        plateauFactor = try c.decode(Float.self, forKey: .plateauFactor)
        selection = try c.decodeIfPresent(ModelSelection.self, forKey: .selection) ?? .bestValidation
        cosine = try c.decodeIfPresent(Bool.self, forKey: .cosine) ?? false
        unimodalLossWeight = try c.decodeIfPresent(Float.self, forKey: .unimodalLossWeight) ?? 0
        modalityDropout = try c.decodeIfPresent(Float.self, forKey: .modalityDropout) ?? 0
    }

    /// Written by hand so that "no scheduler" is an explicit `null`: synthesized encoding omits nil,
    /// and reading such a file back would restore the default patience (found by fuzzing).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(earlyStoppingPatience, forKey: .earlyStoppingPatience)
        try c.encode(plateauPatience, forKey: .plateauPatience)
        try c.encode(plateauFactor, forKey: .plateauFactor)
        try c.encode(selection, forKey: .selection)
        try c.encode(cosine, forKey: .cosine)
        try c.encode(unimodalLossWeight, forKey: .unimodalLossWeight)
        try c.encode(modalityDropout, forKey: .modalityDropout)
    }

    /// The learning rate of epoch `epoch` (1-based) under the cosine schedule.
    func cosineRate(epoch: Int) -> Float {
        learningRate * Float(0.5 * (1 + cos(Double.pi * Double(epoch - 1) / Double(max(epochs, 1)))))
    }
}

/// The outcome of training a classifier: the selected epoch's scores.
public struct ClassifierOutcome: Codable, Sendable {
    /// The selected epoch: the best validation epoch, or the last one (`ModelSelection`).
    public var bestEpoch: Int
    public var epochsRun: Int
    /// The highest validation accuracy of any epoch: what choosing on the validation labels would report.
    public var peakValAccuracy: Double?
    public var val: ClassificationMetrics?
    public var test: ClassificationMetrics?
    public var history: [EpochRecord]
}

/// Epoch loop for classifiers. The caller supplies how to compute logits for a list of sample
/// positions (so the same loop trains heads on cached features and whole networks on raw batches):
/// the decision's logits first, then any auxiliary ones, whose losses count `unimodalLossWeight` each.
/// With best-validation selection the weights of the best validation accuracy are kept (earliest on
/// ties) and training stops early when the validation loss has not improved for `earlyStoppingPatience`
/// epochs; with last-epoch selection the validation labels are only recorded.
struct ClassifierLoop {
    let stage: String
    let schedule: ClassifierSchedule
    let seed: UInt64
    let classCount: Int

    func run(
        trainable: [Module], trainCount: Int, trainLabels: [Int],
        trainLogits: ([Int], inout SeededRNG) -> [Variable],
        valCount: Int, valLabels: [Int], testCount: Int, testLabels: [Int],
        evalLogits: (_ split: Int, _ positions: [Int]) -> Tensor
    ) throws -> ClassifierOutcome {
        let adam = Adam(trainable.flatMap(\.parameters).filter(\.requiresGrad), learningRate: schedule.learningRate)
        let peeks = schedule.selection == .bestValidation
        var plateau =
            schedule.cosine
            ? nil
            : schedule.plateauPatience.map {
                ReduceLROnPlateau(mode: peeks ? .max : .min, factor: schedule.plateauFactor, patience: $0)
            }
        var rng = SeededRNG(seed: seed)
        var best: (epoch: Int, accuracy: Double, state: [[String: Tensor]])? = nil
        var bestLoss = Double.infinity
        var sinceBestLoss = 0
        var history: [EpochRecord] = []
        // Batches per epoch as OptimizationEpoch builds them: ceil(n / batch), less a trailing batch of one.
        let trailingOne = trainCount % schedule.batchSize == 1 && trainCount > schedule.batchSize
        let steps = max((trainCount + schedule.batchSize - 1) / schedule.batchSize - (trailingOne ? 1 : 0), 1)
        let progress = ProgressReporter(stage, total: schedule.epochs * steps)

        func evaluate(_ split: Int, count: Int, labels: [Int]) -> (ClassificationMetrics, Double) {
            for m in trainable { m.eval() }
            defer { for m in trainable { m.train() } }
            var preds: [Int] = []
            var loss = 0.0
            for start in stride(from: 0, to: count, by: 256) {
                let pos = Array(start..<min(start + 256, count))
                let logits = evalLogits(split, pos)
                preds += Kernels.argmax(logits)
                loss +=
                    Double(crossEntropy(Variable(logits), targets: pos.map { labels[$0] }).value.scalar)
                    * Double(pos.count)
            }
            return (
                ClassificationMetrics(predictions: preds, targets: labels, classCount: classCount),
                loss / Double(max(count, 1))
            )
        }

        for epoch in 1...max(schedule.epochs, 1) {
            let t0 = MonotonicClock.seconds
            if schedule.cosine { adam.learningRate = schedule.cosineRate(epoch: epoch) }
            for m in trainable { m.train() }
            let batches = OptimizationEpoch.batches(
                count: trainCount, batchSize: schedule.batchSize, shuffle: true,
                dropLast: false, rng: &rng)
            let trainLoss = try OptimizationEpoch.run(
                batches, optimizer: adam, stage: stage, epoch: epoch,
                status: "\(epoch)", progress: progress, rng: &rng
            ) { idx, rng in
                let targets = idx.map { trainLabels[$0] }
                let logits = trainLogits(idx, &rng)
                var loss = crossEntropy(logits[0], targets: targets)
                for auxiliary in logits.dropFirst() {
                    loss = loss + crossEntropy(auxiliary, targets: targets) * schedule.unimodalLossWeight
                }
                return loss
            }
            var record = EpochRecord(
                epoch: epoch, trainLoss: trainLoss, valLoss: nil, valAccuracy: nil,
                learningRate: adam.learningRate, seconds: 0)
            if valCount > 0 {
                let (m, loss) = GradMode.withoutGrad { evaluate(0, count: valCount, labels: valLabels) }
                record.valLoss = loss
                record.valAccuracy = m.accuracy
                if peeks && (best == nil || m.accuracy > best!.accuracy) {
                    best = (epoch, m.accuracy, trainable.map { $0.stateDict() })
                }
                if loss < bestLoss {
                    bestLoss = loss
                    sinceBestLoss = 0
                } else {
                    sinceBestLoss += 1
                }
            }
            // The scheduler follows validation accuracy, or with last-epoch selection the training loss.
            if var p = plateau, let metric = peeks ? record.valAccuracy : trainLoss {
                p.step(Float(metric), optimizer: adam)
                plateau = p
            }
            record.seconds = MonotonicClock.seconds - t0
            history.append(record)
            if peeks && valCount > 0 && sinceBestLoss > schedule.earlyStoppingPatience {
                trainingLog.info(
                    "\(stage): early stop after epoch \(epoch) (validation loss flat for \(schedule.earlyStoppingPatience) epochs)"
                )
                break
            }
        }
        if let best { for (m, s) in zip(trainable, best.state) { try? m.load(stateDict: s) } }
        return GradMode.withoutGrad {
            ClassifierOutcome(
                bestEpoch: best?.epoch ?? history.count, epochsRun: history.count,
                peakValAccuracy: history.compactMap(\.valAccuracy).max(),
                val: valCount > 0 ? evaluate(0, count: valCount, labels: valLabels).0 : nil,
                test: testCount > 0 ? evaluate(1, count: testCount, labels: testLabels).0 : nil,
                history: history)
        }
    }
}
