/// A node of the autodiff graph: a tensor value, its gradient, and how to push a gradient to its inputs.
///
/// Reverse mode works on the graph that the ops build as they run (the "tape" is implicit in each
/// node's `parents`). `backward()` orders the graph topologically and calls each node's backward
/// function once. Ops record nothing when no input requires a gradient or when recording is off
/// (`GradMode.withoutGrad`), so inference allocates no graph.
public final class Variable {
    public var value: Tensor { didSet { version &+= 1 } }
    /// Incremented on every change of `value` (including in-place updates by optimisers and state
    /// loading), so derived data such as folded inference weights knows when to recompute.
    public private(set) var version = 0
    public var grad: Tensor?
    /// True for trainable parameters and for every result computed from one while recording.
    public var requiresGrad: Bool
    let parents: [Variable]
    let backwardFn: ((Tensor) -> [Tensor?])?

    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        parents = []
        backwardFn = nil
    }

    init(value: Tensor, parents: [Variable], backward: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.backwardFn = backward
    }

    public var shape: [Int] { value.shape }
    public var isLeaf: Bool { backwardFn == nil }

    /// Accumulates gradients of this (scalar unless `seed` is given) value into every leaf that
    /// requires a gradient.
    public func backward(seed: Tensor? = nil) {
        let seedGrad = seed ?? Tensor(shape: value.shape, repeating: 1)
        precondition(seedGrad.shape == value.shape, "backward seed \(seedGrad.shape) for value \(value.shape)")
        // Iterative topological sort (graphs are deep enough to overflow a recursive one).
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append(node)
                continue
            }
            if !visited.insert(ObjectIdentifier(node)).inserted { continue }
            stack.append((node, true))
            for p in node.parents where p.requiresGrad && !visited.contains(ObjectIdentifier(p)) {
                stack.append((p, false))
            }
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seedGrad]
        for node in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            guard let fn = node.backwardFn else {
                if node.grad == nil { node.grad = g } else { Kernels.accumulate(&node.grad!, g) }
                continue
            }
            let parentGrads = fn(g)
            for (p, pg) in Swift.zip(node.parents, parentGrads) {
                guard p.requiresGrad, let pg else { continue }
                precondition(pg.shape == p.value.shape, "gradient shape \(pg.shape) for value \(p.value.shape)")
                let id = ObjectIdentifier(p)
                if grads[id] == nil { grads[id] = pg } else { Kernels.accumulate(&grads[id]!, pg) }
            }
        }
    }

    public func zeroGrad() { grad = nil }

}

/// Whether ops record the graph. Scoped per task/thread, so a daemon's inference workers and a
/// trainer can run side by side.
public enum GradMode {
    @TaskLocal public static var isEnabled = true

    /// Runs `body` without recording any graph (like `torch.no_grad()`).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $isEnabled.withValue(false) { try body() }
    }
}

extension Variable {
    /// Builds the result of an op: a graph node when any input requires a gradient and recording is
    /// on, otherwise a plain leaf.
    @inline(__always)
    static func make(_ value: Tensor, _ parents: [Variable], _ backward: @escaping (Tensor) -> [Tensor?]) -> Variable {
        if GradMode.isEnabled, parents.contains(where: { $0.requiresGrad }) {
            return Variable(value: value, parents: parents, backward: backward)
        }
        return Variable(value)
    }
}
