import CMCCore
import CMCTensor
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
}
