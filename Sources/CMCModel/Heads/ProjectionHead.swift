import CMCCore
import CMCTensor

/// The SSL projection head (method.md §3.3): Linear → BatchNorm1d → ReLU → Linear.
public final class ProjectionHead: Module {
    public let linear1: Linear, bn: BatchNorm, linear2: Linear

    public init(inFeatures: Int, hidden: Int = 256, out: Int = 128, rng: inout SeededRNG) {
        linear1 = Linear(inFeatures, hidden, rng: &rng)
        bn = BatchNorm(hidden)
        linear2 = Linear(hidden, out, rng: &rng)
    }

    public override var children: [(String, Module)] { [("linear1", linear1), ("bn", bn), ("linear2", linear2)] }

    public func callAsFunction(_ x: Variable) -> Variable { linear2(bn(linear1(x)).relu()) }
}

/// Linear → BatchNorm1d → ReLU: one modality's branch of the late-fusion classifier.
public final class FusionBranch: Module {
    public let linear: Linear, bn: BatchNorm

    public init(inFeatures: Int, hidden: Int, rng: inout SeededRNG) {
        linear = Linear(inFeatures, hidden, rng: &rng)
        bn = BatchNorm(hidden)
    }

    public override var children: [(String, Module)] { [("linear", linear), ("bn", bn)] }

    public func callAsFunction(_ x: Variable) -> Variable { bn(linear(x)).relu() }
}

/// The late-fusion multimodal classifier (method.md §3.4): a branch per modality, concatenated
/// [inertial, skeleton], then a linear layer to the classes.
public final class MultiModalClassifier: Module {
    public let inertial: FusionBranch, skeleton: FusionBranch, head: Linear

    public init(inertialFeatures: Int, skeletonFeatures: Int, hidden: Int = 256, classes: Int, rng: inout SeededRNG) {
        inertial = FusionBranch(inFeatures: inertialFeatures, hidden: hidden, rng: &rng)
        skeleton = FusionBranch(inFeatures: skeletonFeatures, hidden: hidden, rng: &rng)
        head = Linear(2 * hidden, classes, rng: &rng)
    }

    public override var children: [(String, Module)] {
        [("inertial", inertial), ("skeleton", skeleton), ("head", head)]
    }

    public func callAsFunction(inertial xi: Variable, skeleton xs: Variable) -> Variable {
        head(concat([inertial(xi), skeleton(xs)], axis: 1))
    }

    /// The fused logits of a training batch and each branch's output (for auxiliary unimodal heads).
    /// With `modalityDropout` p, each example loses one modality at the fusion with probability p (its
    /// branch output zeroed; which one by a fair coin); nothing is dropped outside training mode.
    public func training(
        inertial xi: Variable, skeleton xs: Variable, modalityDropout p: Float, rng: inout SeededRNG
    ) -> (fused: Variable, inertial: Variable, skeleton: Variable) {
        let hi = inertial(xi)
        let hs = skeleton(xs)
        guard p > 0, isTraining else { return (head(concat([hi, hs], axis: 1)), hi, hs) }
        let n = hi.shape[0]
        var keepInertial = [Float](repeating: 1, count: n)
        var keepSkeleton = [Float](repeating: 1, count: n)
        for i in 0..<n where rng.bernoulli(Double(p)) {
            if rng.bernoulli(0.5) { keepInertial[i] = 0 } else { keepSkeleton[i] = 0 }
        }
        let fused = concat(
            [
                hi * Variable(Tensor(shape: [n, 1], storage: keepInertial)),
                hs * Variable(Tensor(shape: [n, 1], storage: keepSkeleton)),
            ], axis: 1)
        return (head(fused), hi, hs)
    }
}
