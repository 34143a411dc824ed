import CMCCore
import CMCModel
import CMCTensor
import XCTest

/// Both encoders with every linear and convolution layer in int8 (`quantizeForInference`): close to the
/// float32 encoders at inference, and untouched wherever gradients flow.
final class QuantizedEncoderTests: XCTestCase {
    private func input(_ shape: [Int], _ rng: inout SeededRNG) -> Variable {
        Variable(
            Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) }))
    }

    private func assertClose(_ q: Tensor, _ e: Tensor, relative: Float, _ what: String) {
        XCTAssertEqual(q.shape, e.shape, what)
        var (error, norm): (Float, Float) = (0, 0)
        for (a, b) in zip(q.storage, e.storage) {
            error += (a - b) * (a - b)
            norm += b * b
        }
        XCTAssertNotEqual(q, e, "\(what): inference must take the int8 path")
        XCTAssertLessThan((error / norm).squareRoot(), relative, "\(what): relative error")
    }

    func testEncodersInInt8StayCloseToFloat32() {
        var rng = SeededRNG(seed: 5)
        var config = SkeletonEncoder.Config()
        config.length = 50
        let skeleton = SkeletonEncoder(config, rng: &rng)
        let inertial = InertialEncoder(InertialEncoder.Config(), rng: &rng)
        let x = input([2, 3, 50, 20], &rng)
        let imu = input([2, 6, 50], &rng)
        for e in [skeleton, inertial] as [Module] { e.eval() }
        let (exactS, exactI) = GradMode.withoutGrad { (skeleton(x).value, inertial(imu).value) }
        skeleton.quantizeForInference()
        inertial.quantizeForInference()
        let (quantS, quantI) = GradMode.withoutGrad { (skeleton(x).value, inertial(imu).value) }
        // Measured on these random weights: about 1 % (UTD-MHAD clips: the same labels, see README).
        assertClose(quantS, exactS, relative: 0.05, "skeleton encoder")
        assertClose(quantI, exactI, relative: 0.05, "inertial encoder")
        // Training mode (batch statistics, gradients) never sees the int8 copies: as a twin never quantised.
        var twinRNG = SeededRNG(seed: 5)
        let twin = SkeletonEncoder(config, rng: &twinRNG)
        skeleton.train()
        XCTAssertEqual(skeleton(x).value, twin(x).value, "training mode is float32 whatever was quantised")
    }

    /// The attention's packed input projection runs in int8 too (quantised on its own here: the output
    /// projection, a `Linear`, stays float32), close to float32; with gradients flowing, float32 exactly.
    func testAttentionInputProjectionRunsInInt8() {
        var rng = SeededRNG(seed: 6)
        let attention = MultiheadAttention(embedDim: 32, heads: 2, rng: &rng)
        attention.eval()
        let x = input([2, 7, 32], &rng)
        let exact = GradMode.withoutGrad { attention(x).value }
        attention.quantizeLocalWeights()
        assertClose(GradMode.withoutGrad { attention(x).value }, exact, relative: 0.05, "attention")
        XCTAssertEqual(attention(x).value, exact, "gradients can flow to the weights: float32")
    }
}
