import CMCCore
import CMCData
import CMCTensor
import Foundation

/// Settings shared by the self-supervised stages (method.md §5.1–5.2).
public struct SSLSchedule: Codable, Sendable, Equatable {
    /// The paper's CMC-CMKM temperature (method.md): the one default, also of `CMKMLoss.Options`.
    public static let defaultCMKMTemperature: Float = 0.1

    public var epochs: Int
    public var batchSize: Int
    public var temperature: Float
    public var learningRate: Float = 1e-3
    /// ReduceLROnPlateau(min, factor, patience) on the training loss, stepped per epoch.
    public var plateauFactor: Float = 0.5
    public var plateauPatience: Int = 20

    public init(epochs: Int, batchSize: Int, temperature: Float) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.temperature = temperature
    }
}

/// One epoch's record in a training history.
public struct EpochRecord: Codable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var valLoss: Double?
    public var valAccuracy: Double?
    public var learningRate: Float
    public var seconds: Double
}

/// The epoch loop of a contrastive stage: shuffled full batches (drop_last), Adam, plateau schedule on
/// the training loss, an optional validation loss, a checkpoint after every epoch, resume on restart.
struct ContrastiveLoop {
    struct State: Codable {
        var stage: String
        var epoch: Int
        var rng: [UInt64]
        var scheduler: ReduceLROnPlateau
        var history: [EpochRecord]
        var done: Bool
    }

    let stage: String
    let schedule: SSLSchedule
    let seed: UInt64
    let checkpoint: URL?

    /// `trainStep(indices, rng)` returns the loss of one batch (graph recorded); `valLoss(indices, rng)`
    /// is called with recording off and the modules in eval mode.
    func run(
        modules: [(String, Module)], trainable: [Module], set: TrainingSet, val: TrainingSet?,
        trainStep: ([Int], inout SeededRNG) -> Variable,
        valLoss: (([Int], inout SeededRNG) -> Variable)?
    ) throws -> [EpochRecord] {
        let params = trainable.flatMap(\.parameters)
        let adam = Adam(params, learningRate: schedule.learningRate)
        var state = State(
            stage: stage, epoch: 0, rng: SeededRNG(seed: seed).state,
            scheduler: ReduceLROnPlateau(
                mode: .min, factor: schedule.plateauFactor, patience: schedule.plateauPatience),
            history: [], done: false)
        if let checkpoint,
            let saved = try Checkpoint.load(checkpoint, modules: modules, optimizer: adam, as: State.self)
        {
            guard saved.stage == stage else {
                throw TrainingError.checkpointMismatch(checkpoint.path, "belongs to stage \(saved.stage), not \(stage)")
            }
            state = saved
            if state.epoch >= schedule.epochs {
                trainingLog.info(
                    "\(stage): already trained (\(state.epoch) epochs), reusing \(checkpoint.lastPathComponent)")
                return state.history
            }
            trainingLog.info("\(stage): resuming after epoch \(state.epoch) from \(checkpoint.lastPathComponent)")
        }
        guard set.count >= schedule.batchSize else {
            throw TrainingError.tooFewSamples(stage, set.count, schedule.batchSize)
        }
        var rng = SeededRNG(state: state.rng) ?? SeededRNG(seed: seed)
        let stepsPerEpoch = set.count / schedule.batchSize
        let progress = ProgressReporter(stage, total: (schedule.epochs - state.epoch) * stepsPerEpoch)
        while state.epoch < schedule.epochs {
            let t0 = MonotonicClock.seconds
            for m in trainable { m.train() }
            let batches = set.epoch(batchSize: schedule.batchSize, shuffle: true, dropLast: true, rng: &rng)
            let trainLoss = try OptimizationEpoch.run(
                batches, optimizer: adam, stage: stage, epoch: state.epoch + 1,
                status: "\(state.epoch + 1)/\(schedule.epochs)",
                progress: progress, rng: &rng, loss: trainStep)
            var valLossValue: Double? = nil
            if let val, let valLoss, val.count >= 2 {
                for m in trainable { m.eval() }
                var vr = SeededRNG(seed: seed &+ 1)
                var vt = 0.0
                var vn = 0
                GradMode.withoutGrad {
                    for idx in val.epoch(
                        batchSize: Swift.min(schedule.batchSize, val.count), shuffle: false, dropLast: true, rng: &vr)
                    {
                        vt += Double(valLoss(idx, &vr).value.scalar)
                        vn += 1
                    }
                }
                if vn > 0 { valLossValue = vt / Double(vn) }
                for m in trainable { m.train() }
            }
            state.scheduler.step(Float(trainLoss), optimizer: adam)
            state.epoch += 1
            state.history.append(
                EpochRecord(
                    epoch: state.epoch, trainLoss: trainLoss, valLoss: valLossValue, valAccuracy: nil,
                    learningRate: adam.learningRate, seconds: MonotonicClock.seconds - t0))
            state.rng = rng.state
            state.done = state.epoch == schedule.epochs
            if let checkpoint { try Checkpoint.save(checkpoint, modules: modules, optimizer: adam, state: state) }
        }
        return state.history
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case checkpointMismatch(String, String)
    case tooFewSamples(String, Int, Int)
    case diverged(String, Int)
    case emptySplit(String)

    public var description: String {
        switch self {
        case .checkpointMismatch(let f, let why): "checkpoint \(f) \(why); delete it or choose another --out"
        case .tooFewSamples(let s, let n, let b): "\(s): \(n) training samples, fewer than one batch of \(b)"
        case .diverged(let s, let e): "\(s): the loss became NaN/infinite in epoch \(e)"
        case .emptySplit(let s): "the \(s) split is empty for this dataset copy"
        }
    }
}
