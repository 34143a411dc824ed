import Foundation

/// Runs two independent computations at once, the second on another thread, with OpenBLAS
/// single-threaded meanwhile (each side then owns one of the cores).
///
/// A training step is many small kernels between the GEMMs; with 2 BLAS threads only the GEMMs use the
/// second core. Running the two modalities side by side uses both cores for everything.
///
/// The two closures must not touch the same mutable state (modules, parameters, generators); the caller
/// guarantees it, the type system cannot: autodiff graphs are classes. The caller's `GradMode` carries
/// over to the other thread (a task-local value would not).
public enum Concurrently {
    /// True on either side of a `run`. A `run` nested in one (the skeleton encoder's two streams inside
    /// the CMC step's skeleton branch) calls its closures one after the other: each side already owns a
    /// core, and more threads than cores would only take turns on them.
    @TaskLocal static var isInsideRun = false

    /// True inside `withBothCores`: code that can split its own work into two `run`s (the skeleton encoder's
    /// streams) does so. Off by default: the daemon's workers are parallel across windows already, and the
    /// CMC step runs each encoder on one core of its own.
    @TaskLocal public static var splitsWork = false

    /// Runs `body` with `splitsWork` on and OpenBLAS single-threaded: the caller hands both cores to the
    /// branches inside. Between the branches a second BLAS thread would only spin-wait (it stays runnable,
    /// yielding, for a while after each GEMM) and take CPU from them.
    public static func withBothCores<R>(_ body: () throws -> R) rethrows -> R {
        try BLAS.withThreads(1) { try $splitsWork.withValue(true) { try body() } }
    }

    public static func run<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
        if isInsideRun {
            let a = first()
            return (a, second())
        }
        let recording = GradMode.isEnabled
        return BLAS.withThreads(1) {
            withoutActuallyEscaping(first) { first in
                withoutActuallyEscaping(second) { second in
                    let job = Job(first, second)
                    DispatchQueue.concurrentPerform(iterations: 2) { i in
                        GradMode.$isEnabled.withValue(recording) { $isInsideRun.withValue(true) { job.run(i) } }
                    }
                    return (job.a!, job.b!)
                }
            }
        }
    }

    /// The closures and their results. Unchecked sendability: slot `a` is written only by iteration 0 and
    /// `b` only by iteration 1, and both are read after `concurrentPerform` has joined the two threads.
    private final class Job<A, B>: @unchecked Sendable {
        let first: () -> A
        let second: () -> B
        var a: A?
        var b: B?

        init(_ first: @escaping () -> A, _ second: @escaping () -> B) {
            self.first = first
            self.second = second
        }

        func run(_ i: Int) {
            if i == 0 { a = first() } else { b = second() }
        }
    }
}

/// Two branches of one graph that meet only in what is computed from their results (e.g. the two
/// modalities of a contrastive step, each through its own encoder and head), run side by side in the
/// forward pass and again in the backward pass.
///
/// The results are views of one joint node; its backward splits the incoming gradient and
/// backpropagates each branch on its own thread. The branches must not share parameters or modules.
public func concurrentBranches(_ first: () -> Variable, _ second: () -> Variable) -> (Variable, Variable) {
    joined(Concurrently.run(first, second), shared: nil)
}

/// Two branches that start from the same input (e.g. the skeleton encoder's joint and motion streams).
///
/// Each branch gets its own leaf holding the input's value, so neither backward pass reaches past it:
/// the two would otherwise add into the same gradients from two threads, and each would backpropagate
/// the graph behind the input on its own. The joint node has the input as its parent instead and hands
/// it the sum of the two leaves' gradients, so that graph is backpropagated once, by the caller's pass.
public func concurrentBranches(
    from input: Variable, _ first: (Variable) -> Variable, _ second: (Variable) -> Variable
) -> (Variable, Variable) {
    let tracked = GradMode.isEnabled && input.requiresGrad
    let (xa, xb) = (Variable(input.value, requiresGrad: tracked), Variable(input.value, requiresGrad: tracked))
    return joined(Concurrently.run({ first(xa) }, { second(xb) }), shared: tracked ? (input, xa, xb) : nil)
}

/// The joint node of two branch results (see `concurrentBranches`), with the shared input's leaves.
private func joined(
    _ branches: (Variable, Variable), shared: (input: Variable, a: Variable, b: Variable)?
) -> (Variable, Variable) {
    let (a, b) = branches
    guard GradMode.isEnabled, a.requiresGrad || b.requiresGrad else { return (a, b) }
    let (na, nb) = (a.value.count, b.value.count)
    let joint = Tensor(shape: [na + nb], storage: a.value.storage + b.value.storage)
    let node = Variable(value: joint, parents: shared.map { [$0.input] } ?? []) { g in
        let ga = Tensor(shape: a.shape, storage: Array(g.storage[0..<na]))
        let gb = Tensor(shape: b.shape, storage: Array(g.storage[na...]))
        _ = Concurrently.run(
            { if a.requiresGrad { a.backward(seed: ga) } }, { if b.requiresGrad { b.backward(seed: gb) } })
        guard let shared else { return [] }
        let grads = [shared.a.grad, shared.b.grad].compactMap { $0 }
        guard var sum = grads.first else { return [nil] }
        for g in grads.dropFirst() { Kernels.accumulate(&sum, g) }
        return [sum]
    }
    return (node.sliced(axis: 0, 0..<na).reshaped(a.shape), node.sliced(axis: 0, na..<(na + nb)).reshaped(b.shape))
}
