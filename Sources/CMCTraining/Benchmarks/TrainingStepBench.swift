import CMCCore
import CMCModel
import CMCTensor

/// One contrastive training step at the benchmark's shapes (UTD-sized inputs): the encoders, their projection
/// heads, the loss, backward and an Adam step — as `tools/bench_torch.py` times it.
///
/// Shared by `cmc-bench engine` (timing) and its hidden `--profile train…` mode (profilers), so both
/// run exactly the same step.
public final class TrainingStepBench {
    public enum Loss: String, Sendable, CaseIterable {
        /// CMC (method.md §4.2): both encoders, batch 64.
        case cmc
        /// CMC-CMKM (§4.3): the frozen teachers' forward on the batch, mining, and the CMKM loss; batch 64.
        case cmkm
        /// SimCLR (§4.1) of one modality at the UTD experiment's batch size and temperature: two views of
        /// every sample, stacked and run through the encoder in one pass, NT-Xent.
        case simclrInertial = "simclr-inertial", simclrSkeleton = "simclr-skeleton"

        /// Samples per step (a SimCLR step encodes two views of each).
        public var batch: Int { simclrSchedule?.batchSize ?? 64 }

        /// The experiment's SimCLR schedule (`ExperimentConfig`'s defaults, which configs/utd-mhad.json keeps).
        var simclrSchedule: SSLSchedule? {
            switch self {
            case .cmc, .cmkm: return nil
            case .simclrInertial: return ExperimentConfig(name: "utd-mhad", dataset: .utdMHAD).simclrInertial
            case .simclrSkeleton: return ExperimentConfig(name: "utd-mhad", dataset: .utdMHAD).simclrSkeleton
            }
        }
    }

    public static let temperature: Float = 0.1

    public let loss: Loss
    private let adam: Adam
    /// The step's loss, graph recorded.
    private let forward: () -> Variable
    /// A SimCLR step of an encoder that splits its own work runs as the stage does (`SSLStages.simclr`).
    private let onBothCores: Bool

    public init(_ loss: Loss, inertial: InertialEncoder, skeleton: SkeletonEncoder, rng: inout SeededRNG) {
        self.loss = loss
        let b = loss.batch
        let ic = inertial.config
        let sc = skeleton.config
        if let schedule = loss.simclrSchedule {
            let encoder: FeatureEncoder = loss == .simclrInertial ? inertial : skeleton
            onBothCores = encoder.trainsOnBothCores
            let head = ProjectionHead(inFeatures: encoder.outputSize, rng: &rng)
            encoder.train()
            adam = Adam(encoder.parameters + head.parameters, learningRate: schedule.learningRate)
            let views: Tensor =
                loss == .simclrInertial
                ? .normal([2 * b, ic.inChannels, ic.length], rng: &rng)
                : .normal([2 * b, sc.inChannels, sc.length, sc.joints], rng: &rng)
            forward = {
                SSLStages.simclrLoss(encoder: encoder, head: head, views: views, temperature: schedule.temperature)
            }
            return
        }
        onBothCores = false
        inertial.train()
        skeleton.train()
        let inertialHead = ProjectionHead(inFeatures: inertial.outputSize, rng: &rng)
        let skeletonHead = ProjectionHead(inFeatures: skeleton.outputSize, rng: &rng)
        let teachers =
            loss == .cmkm
            ? SSLStages.Teachers(
                inertial: InertialEncoder(inertial.config, rng: &rng),
                skeleton: SkeletonEncoder(skeleton.config, rng: &rng)) : nil
        adam = Adam(
            inertial.parameters + skeleton.parameters + inertialHead.parameters + skeletonHead.parameters,
            learningRate: 1e-3)
        let xi = Variable(.normal([b, ic.inChannels, ic.length], rng: &rng))
        let xs = Variable(.normal([b, sc.inChannels, sc.length, sc.joints], rng: &rng))
        forward = {
            let (zi, zs) = concurrentBranches({ inertialHead(inertial(xi)) }, { skeletonHead(skeleton(xs)) })
            guard let teachers else { return ContrastiveLoss.cmc(zi, zs, temperature: TrainingStepBench.temperature) }
            let (fi, fs) = GradMode.withoutGrad {
                Concurrently.run({ teachers.inertial(xi).value }, { teachers.skeleton(xs).value })
            }
            var options = CMKMLoss.Options()
            options.temperature = TrainingStepBench.temperature
            let cmkm = CMKMLoss(options)
            return cmkm(zi, zs, mining: cmkm.mine(teacherInertial: fi, teacherSkeleton: fs))
        }
    }

    /// Fresh encoders at the default (paper) sizes.
    public convenience init(_ loss: Loss, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        let inertial = InertialEncoder(rng: &rng)
        let skeleton = SkeletonEncoder(rng: &rng)
        self.init(loss, inertial: inertial, skeleton: skeleton, rng: &rng)
    }

    /// One optimisation step; returns the loss before the update.
    @discardableResult
    public func step() -> Float {
        func run() -> Float {
            adam.zeroGrad()
            let loss = backpropagate() // the graph is gone before the update (as in OptimizationEpoch)
            adam.step()
            return loss
        }
        return onBothCores ? Concurrently.withBothCores(run) : run()
    }

    private func backpropagate() -> Float {
        let loss = forward()
        loss.backward()
        return loss.value.scalar
    }
}
