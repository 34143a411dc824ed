import CMCCore
import CMCTensor

/// A one-modality classifier on frozen features: the same branch as the fusion classifier
/// (Linear → BN → ReLU) followed by a linear layer. Serves as the daemon's fallback when a sensor is
/// missing, and as the unimodal evaluation head.
public final class UnimodalClassifier: Module {
    public let branch: FusionBranch, head: Linear

    public init(features: Int, hidden: Int = 256, classes: Int, rng: inout SeededRNG) {
        branch = FusionBranch(inFeatures: features, hidden: hidden, rng: &rng)
        head = Linear(hidden, classes, rng: &rng)
    }

    public override var children: [(String, Module)] { [("branch", branch), ("head", head)] }

    public func callAsFunction(_ x: Variable) -> Variable { head(branch(x)) }
}
