import CMCCore
import CMCTestSupport
import XCTest

@testable import CMCTensor

/// The fused 1×1 convolution + training-mode batch norm (+ ReLU) against the three ops it replaces — which
/// the PyTorch fixtures check — and against finite differences.
final class PointwiseConvNormTests: XCTestCase {
    let grad = GradientChecker(seed: 41)

    /// The composition conv2d → batchNorm → relu with the same leaves, for comparison.
    private func threeOps(
        _ x: Variable, _ w: Variable, _ b: Variable?, _ g: Variable, _ be: Variable, relu: Bool
    ) -> (y: Variable, mean: [Float], variance: [Float]) {
        let o = w.shape[0]
        let (y, mean, variance) = batchNorm(
            conv2d(x, weight: w, bias: b), gamma: g, beta: be, runningMean: .zeros([o]), runningVar: .ones([o]),
            training: true, eps: 1e-5)
        return (relu ? y.relu() : y, mean, variance)
    }

    /// Same outputs, batch statistics and gradients (input, weight, bias, γ, β) as the three ops, with and
    /// without ReLU and conv bias, on runs that are not a multiple of the vector width. With an offset, the
    /// fused op sees the input shifted by it (which changes nothing but the batch mean) and the three ops the
    /// unshifted one: their float32 convolution output would cancel in batch norm, the fused op centres first.
    func testEqualsConvolutionBatchNormReLU() {
        let cases: [(shape: [Int], out: Int, offset: Float, relu: Bool, bias: Bool)] = [
            ([3, 3, 5, 7], 6, 0, true, true), ([2, 2, 4, 9], 4, 0, false, true), ([4, 3, 6, 5], 8, 200, true, false),
            ([2, 5, 3, 11], 3, -3, false, false),
        ]
        for (shape, o, offset, relu, hasBias) in cases {
            let what = "\(shape) → \(o), offset \(offset), relu \(relu), bias \(hasBias)"
            let x = Variable(.normal(shape, rng: &grad.rng), requiresGrad: true)
            let shifted = Variable(Kernels.map(x.value) { $0 + offset }, requiresGrad: true)
            let w = Variable(.normal([o, shape[1], 1, 1], rng: &grad.rng), requiresGrad: true)
            let b = hasBias ? Variable(.normal([o], rng: &grad.rng), requiresGrad: true) : nil
            let g = Variable(.normal([o], rng: &grad.rng), requiresGrad: true)
            let be = Variable(.normal([o], rng: &grad.rng), requiresGrad: true)
            let parameters = [w, g, be] + (b.map { [$0] } ?? [])
            let leaves = [x] + parameters
            let cot = Tensor.normal([shape[0], o, shape[2], shape[3]], rng: &grad.rng)

            let fused = pointwiseConvBatchNorm(
                shifted, weight: w, bias: b, gamma: g, beta: be, eps: 1e-5, relu: relu)
            fused.y.backward(seed: cot)
            let fusedGrads = [shifted.grad!] + parameters.map { $0.grad! }
            for leaf in parameters { leaf.grad = nil }
            let reference = threeOps(x, w, b, g, be, relu: relu)
            reference.y.backward(seed: cot)

            assertClose(fused.y.value, reference.y.value, rtol: 1e-4, "\(what): output")
            let shift = (0..<o).map { oc in
                offset * (0..<shape[1]).reduce(0) { $0 + w.value.storage[oc * shape[1] + $1] }
            }
            assertClose(
                Tensor(shape: [o], storage: fused.batchMean),
                Tensor(shape: [o], storage: zip(reference.mean, shift).map { $0 + $1 }), rtol: 1e-5,
                "\(what): batch mean")
            assertClose(
                Tensor(shape: [o], storage: fused.batchVar), Tensor(shape: [o], storage: reference.variance),
                rtol: 1e-4, "\(what): batch variance")
            for (name, (fg, leaf)) in zip(["x", "weight", "gamma", "beta", "bias"], zip(fusedGrads, leaves)) {
                if name == "bias" {
                    // Batch norm removes any shift: the conv bias's gradient is zero (the ops give rounding).
                    let scale = fusedGrads[1].storage.map(abs).max()!
                    XCTAssert(fg.storage.allSatisfy { $0 == 0 }, "\(what): fused bias gradient is not zero")
                    XCTAssert(leaf.grad!.storage.allSatisfy { abs($0) <= 1e-4 * scale }, "\(what): reference bias")
                } else {
                    assertClose(fg, leaf.grad!, rtol: 1e-4, "\(what): gradient of \(name)")
                }
            }
        }
    }

    /// Without an input that needs a gradient (the encoder's data), the parameters' gradients are the same.
    func testInputWithoutGradient() {
        let x = Variable(.normal([3, 3, 4, 6], rng: &grad.rng))
        let w = Variable(.normal([5, 3, 1, 1], rng: &grad.rng), requiresGrad: true)
        let g = Variable(.normal([5], rng: &grad.rng), requiresGrad: true)
        let be = Variable(.normal([5], rng: &grad.rng), requiresGrad: true)
        let cot = Tensor.normal([3, 5, 4, 6], rng: &grad.rng)
        pointwiseConvBatchNorm(x, weight: w, bias: nil, gamma: g, beta: be, eps: 1e-5, relu: true).y.backward(seed: cot)
        let fused = [w.grad!, g.grad!, be.grad!]
        for leaf in [w, g, be] { leaf.grad = nil }
        threeOps(x, w, nil, g, be, relu: true).y.backward(seed: cot)
        XCTAssertNil(x.grad)
        for (name, (f, leaf)) in zip(["weight", "gamma", "beta"], zip(fused, [w, g, be])) {
            assertClose(f, leaf.grad!, rtol: 1e-4, "gradient of \(name)")
        }
    }

    /// Finite differences of every leaf (no ReLU: its kink would make the central difference meaningless).
    func testFiniteDifferences() {
        let x = grad.away([3, 2, 3, 5])
        let w = grad.away([4, 2, 1, 1])
        let b = grad.away([4])
        let g = grad.away([4])
        let be = grad.away([4])
        grad.check("pointwiseConvBatchNorm", [x, w, b, g, be]) {
            pointwiseConvBatchNorm(x, weight: w, bias: b, gamma: g, beta: be, eps: 1e-5, relu: false).y
        }
    }
}
