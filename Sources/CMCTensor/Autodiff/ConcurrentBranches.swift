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
    public static func run<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
        let recording = GradMode.isEnabled
        let blasThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(blasThreads) }
        return withoutActuallyEscaping(first) { first in
            withoutActuallyEscaping(second) { second in
                let job = Job(first, second)
                DispatchQueue.concurrentPerform(iterations: 2) { i in
                    GradMode.$isEnabled.withValue(recording) { job.run(i) }
                }
                return (job.a!, job.b!)
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
    let (a, b) = Concurrently.run(first, second)
    guard GradMode.isEnabled, a.requiresGrad || b.requiresGrad else { return (a, b) }
    let (na, nb) = (a.value.count, b.value.count)
    let joint = Tensor(shape: [na + nb], storage: a.value.storage + b.value.storage)
    let node = Variable(value: joint, parents: []) { g in
        let ga = Tensor(shape: a.shape, storage: Array(g.storage[0..<na]))
        let gb = Tensor(shape: b.shape, storage: Array(g.storage[na...]))
        _ = Concurrently.run(
            { if a.requiresGrad { a.backward(seed: ga) } }, { if b.requiresGrad { b.backward(seed: gb) } })
        return []
    }
    return (node.sliced(axis: 0, 0..<na).reshaped(a.shape), node.sliced(axis: 0, na..<(na + nb)).reshaped(b.shape))
}
