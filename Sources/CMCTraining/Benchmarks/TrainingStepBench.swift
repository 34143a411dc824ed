import CMCCore
import CMCModel
import CMCTensor

/// One contrastive training step at the benchmark's shapes (batch 64, UTD-sized inputs): both encoders,
/// both projection heads, the loss, backward and an Adam step — as `tools/bench_torch.py` times it.
///
/// Shared by `cmc-bench engine` (timing) and its hidden `--profile train…` mode (profilers), so both
/// run exactly the same step.
public final class TrainingStepBench {
    public enum Loss: String, Sendable, CaseIterable {
        /// CMC (method.md §4.2).
        case cmc
        /// CMC-CMKM (§4.3): the frozen teachers' forward on the batch, mining, and the CMKM loss.
        case cmkm
    }

    public static let batch = 64
    public static let temperature: Float = 0.1

    private let inertial: InertialEncoder, skeleton: SkeletonEncoder
    private let inertialHead: ProjectionHead, skeletonHead: ProjectionHead
    private let teachers: SSLStages.Teachers?
    private let adam: Adam
    private let xi: Variable, xs: Variable

    public init(_ loss: Loss, inertial: InertialEncoder, skeleton: SkeletonEncoder, rng: inout SeededRNG) {
        self.inertial = inertial
        self.skeleton = skeleton
        inertial.train()
        skeleton.train()
        inertialHead = ProjectionHead(inFeatures: inertial.outputSize, rng: &rng)
        skeletonHead = ProjectionHead(inFeatures: skeleton.outputSize, rng: &rng)
        teachers =
            loss == .cmkm
            ? SSLStages.Teachers(
                inertial: InertialEncoder(inertial.config, rng: &rng),
                skeleton: SkeletonEncoder(skeleton.config, rng: &rng)) : nil
        adam = Adam(
            inertial.parameters + skeleton.parameters + inertialHead.parameters + skeletonHead.parameters,
            learningRate: 1e-3)
        let b = TrainingStepBench.batch
        let ic = inertial.config
        let sc = skeleton.config
        xi = Variable(.normal([b, ic.inChannels, ic.length], rng: &rng))
        xs = Variable(.normal([b, sc.inChannels, sc.length, sc.joints], rng: &rng))
    }

    /// A fresh pair of encoders at the default (paper) sizes.
    public convenience init(_ loss: Loss, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        let inertial = InertialEncoder(rng: &rng)
        let skeleton = SkeletonEncoder(rng: &rng)
        self.init(loss, inertial: inertial, skeleton: skeleton, rng: &rng)
    }

    /// One optimisation step; returns the loss before the update.
    @discardableResult
    public func step() -> Float {
        adam.zeroGrad()
        let loss = backpropagate() // the graph is gone before the update (as in OptimizationEpoch)
        adam.step()
        return loss
    }

    private func backpropagate() -> Float {
        let (zi, zs) = concurrentBranches({ inertialHead(inertial(xi)) }, { skeletonHead(skeleton(xs)) })
        let loss: Variable
        if let teachers {
            let (fi, fs) = GradMode.withoutGrad {
                Concurrently.run({ teachers.inertial(xi).value }, { teachers.skeleton(xs).value })
            }
            var options = CMKMLoss.Options()
            options.temperature = TrainingStepBench.temperature
            let cmkm = CMKMLoss(options)
            loss = cmkm(zi, zs, mining: cmkm.mine(teacherInertial: fi, teacherSkeleton: fs))
        } else {
            loss = ContrastiveLoss.cmc(zi, zs, temperature: TrainingStepBench.temperature)
        }
        loss.backward()
        return loss.value.scalar
    }
}
