import CMCCore
import CMCTensor
import Foundation
import XCTest

final class ConcurrentBranchesTests: XCTestCase {
    /// Two branches with their own layers, joined by a loss: side by side and on one thread give the same
    /// loss and the same gradient for every parameter (up to BLAS's thread-dependent rounding).
    func testConcurrentBranchesGiveTheSequentialGradients() {
        let blasThreads = BLAS.threads
        var rng = SeededRNG(seed: 12)
        let la = Linear(6, 4, rng: &rng)
        let lb = Linear(5, 4, rng: &rng)
        let bn = BatchNorm(4)
        let xa = Variable(.normal([8, 6], rng: &rng))
        let xb = Variable(.normal([8, 5], rng: &rng))
        func loss(_ a: Variable, _ b: Variable) -> Variable { (a * b).sum() + a.square().mean() }
        let params = la.parameters + lb.parameters + bn.parameters
        let sequential = loss(la(xa).relu(), bn(lb(xb)))
        sequential.backward()
        let expected = params.map { $0.grad! }
        for p in params { p.grad = nil }
        let (a, b) = concurrentBranches({ la(xa).relu() }, { bn(lb(xb)) })
        let concurrent = loss(a, b)
        concurrent.backward()
        XCTAssertEqual(concurrent.value.scalar, sequential.value.scalar, accuracy: 1e-5)
        for (p, e) in zip(params, expected) {
            for (got, want) in zip(p.grad!.storage, e.storage) { XCTAssertEqual(got, want, accuracy: 1e-5) }
        }
        // Without recording, neither branch builds a graph, on either thread.
        let (c, d) = GradMode.withoutGrad { concurrentBranches({ la(xa) }, { lb(xb) }) }
        XCTAssertFalse(c.requiresGrad || d.requiresGrad)
        XCTAssertEqual(BLAS.threads, blasThreads, "the BLAS thread count is restored")
    }

    /// Branches from one shared input that itself has a graph behind it: the input's gradient is the sum
    /// of both branches' and reaches the layer that made it once — the same gradients as on one thread.
    func testBranchesFromASharedInputGiveTheSequentialGradients() {
        var rng = SeededRNG(seed: 13)
        let l0 = Linear(5, 6, rng: &rng)
        let la = Linear(6, 4, rng: &rng)
        let lb = Linear(6, 4, rng: &rng)
        let x = Variable(.normal([8, 5], rng: &rng), requiresGrad: true)
        func loss(_ a: Variable, _ b: Variable) -> Variable { (a * b).sum() + a.square().mean() }
        let params = l0.parameters + la.parameters + lb.parameters
        let h = l0(x)
        let sequential = loss(la(h).relu(), lb(h * h))
        sequential.backward()
        let expected = params.map { $0.grad! } + [x.grad!]
        for p in params + [x] { p.grad = nil }
        let (a, b) = concurrentBranches(from: l0(x), { la($0).relu() }, { lb($0 * $0) })
        let concurrent = loss(a, b)
        concurrent.backward()
        XCTAssertEqual(concurrent.value.scalar, sequential.value.scalar, accuracy: 1e-5)
        for (p, e) in zip(params + [x], expected) {
            for (got, want) in zip(p.grad!.storage, e.storage) { XCTAssertEqual(got, want, accuracy: 1e-5) }
        }
    }

    /// A `run` inside one side of another runs its closures in turn, first then second, on that side's thread.
    func testNestedRunIsSequential() {
        let (inner, _) = Concurrently.run(
            { () -> (pthread_t, [(pthread_t, Int)]) in
                var order = 0
                func mark() -> (pthread_t, Int) {
                    order += 1
                    return (pthread_self(), order)
                }
                let (p, q) = Concurrently.run(mark, mark)
                return (pthread_self(), [p, q])
            }, { 0 })
        XCTAssertEqual(inner.1.map(\.1), [1, 2])
        for (thread, _) in inner.1 { XCTAssertNotEqual(pthread_equal(thread, inner.0), 0) }
    }

    /// `withBothCores` hands the cores to branches: work splitting on, OpenBLAS single-threaded, both restored.
    func testWithBothCoresScopesSplittingAndBLASThreads() {
        let before = BLAS.threads
        BLAS.setThreads(2)
        defer { BLAS.setThreads(before) }
        XCTAssertFalse(Concurrently.splitsWork)
        let inside = Concurrently.withBothCores { (Concurrently.splitsWork, BLAS.threads) }
        XCTAssertTrue(inside.0)
        XCTAssertEqual(inside.1, 1)
        XCTAssertFalse(Concurrently.splitsWork)
        XCTAssertEqual(BLAS.threads, 2)
    }
}
