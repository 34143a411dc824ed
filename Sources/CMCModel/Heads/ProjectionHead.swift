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
}
