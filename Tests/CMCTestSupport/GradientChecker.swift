import CMCCore
import CMCTensor
import XCTest

/// Finite-difference checks: the directional derivative (f(x + εv) − f(x − εv)) / 2ε along random
/// directions v must match ⟨∇f, v⟩ from backward(). A class, so one seeded generator serves a whole test
/// case (`rng` also builds the layers under test).
public final class GradientChecker {
    public var rng: SeededRNG

    public init(seed: UInt64) { rng = SeededRNG(seed: seed) }

    /// Leaves: the tensors being differentiated (inputs and/or parameters). `f` recomputes the output
    /// from the leaves' current values; it is reduced to a scalar with a fixed random cotangent.
    public func check(
        _ what: String, _ leaves: [Variable], eps: Float = 1e-2, tol: Double = 2e-2,
        file: StaticString = #filePath, line: UInt = #line, _ f: () -> Variable
    ) {
        for leaf in leaves {
            leaf.requiresGrad = true
            leaf.grad = nil
        }
        let out0 = f()
        let cot = Tensor.normal(out0.shape, rng: &rng)
        out0.backward(seed: cot)
        let grads = leaves.map { $0.grad ?? Tensor(shape: $0.shape) }
        func loss() -> Double {
            let v = GradMode.withoutGrad { f().value }
            return zip(v.storage, cot.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        // The outputs are float32: rounding them moves the loss by up to ~ulp·Σ|out·cot|, which the central
        // difference divides by 2ε. Below ten times that, a difference is rounding, not a wrong gradient
        // (e.g. a bias feeding a train-mode BatchNorm, whose true gradient is exactly zero).
        let magnitude = zip(out0.value.storage, cot.storage).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        let roundingFloor = 10 * Double(Float.ulpOfOne) * magnitude / Double(eps)
        for trial in 0..<3 {
            let dirs = leaves.map { Tensor.normal($0.shape, rng: &rng) }
            let originals = leaves.map(\.value)
            func shift(_ s: Float) {
                for (leaf, (original, dir)) in zip(leaves, zip(originals, dirs)) { leaf.value = original + dir * s }
            }
            shift(eps)
            let plus = loss()
            shift(-eps)
            let minus = loss()
            shift(0)
            let numeric = (plus - minus) / (2 * Double(eps))
            let analytic = zip(grads, dirs).reduce(0.0) { acc, gd in
                acc + zip(gd.0.storage, gd.1.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
            let scale = max(abs(numeric), abs(analytic), 1e-2, roundingFloor / tol)
            XCTAssert(
                abs(numeric - analytic) <= tol * scale,
                "\(what) trial \(trial): numeric \(numeric) vs analytic \(analytic)", file: file, line: line)
        }
    }

    /// Layers are checked with respect to their input and then each parameter tensor on its own: moving
    /// one tensor at a time keeps the step from crossing many ReLU kinks at once.
    public func checkModule(
        _ what: String, _ m: Module, _ x: Variable, eps: Float = 1e-2,
        file: StaticString = #filePath, line: UInt = #line,
        _ f: @escaping (Variable) -> Variable
    ) {
        check("\(what) d/dinput", [x], eps: eps, file: file, line: line) { f(x) }
        x.requiresGrad = false
        for (name, p) in m.namedParameters() {
            check("\(what) d/d\(name)", [p], eps: eps, file: file, line: line) { f(x) }
        }
    }

    /// Random values kept at least `margin` away from zero (away from the kinks of relu, abs, max).
    public func away(_ shape: [Int], margin: Float = 0.2) -> Variable {
        var t = Tensor.normal(shape, rng: &rng)
        for i in 0..<t.count { t.storage[i] += t.storage[i] >= 0 ? margin : -margin }
        return Variable(t)
    }

    public func positive(_ shape: [Int]) -> Variable {
        Variable(Tensor.uniform(shape, low: 0.5, high: 2, rng: &rng))
    }
}
