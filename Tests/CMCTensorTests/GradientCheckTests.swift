import CMCCore
import CMCTensor
import CMCTestSupport
import XCTest

/// Finite-difference checks of every differentiable op and layer of the engine (`GradientChecker`).
final class GradientCheckTests: XCTestCase {
    let grad = GradientChecker(seed: 11)

    func testArithmetic() {
        let a = grad.away([2, 3, 4])
        let b = grad.away([3, 1])
        let c = grad.positive([4])
        grad.check("add", [a, b]) { a + b }
        grad.check("sub", [a, b]) { a - b }
        grad.check("mul", [a, b]) { a * b }
        grad.check("div", [a, c]) { a / c }
        grad.check("scalar ops", [a]) { (a * 3 + 1) / 2 - 0.5 }
        grad.check("negate", [a]) { -a }
    }

    func testMatrixProducts() {
        let a = grad.away([4, 5])
        let b = grad.away([5, 3])
        let bt = grad.away([3, 5])
        grad.check("matmul", [a, b]) { matmul(a, b) }
        grad.check("matmul transB", [a, bt]) { matmul(a, bt, transB: true) }
        let x = grad.away([2, 4, 5])
        let y = grad.away([2, 5, 3])
        let yt = grad.away([2, 3, 5])
        grad.check("bmm", [x, y]) { bmm(x, y) }
        grad.check("bmm transB", [x, yt]) { bmm(x, yt, transB: true) }
        let w = grad.away([3, 5])
        let bias = grad.away([3])
        grad.check("linear", [x, w, bias]) { linear(x, weight: w, bias: bias) }
    }

    func testReductionsAndUnary() {
        let x = grad.away([2, 3, 4])
        let p = grad.positive([2, 3, 4])
        grad.check("sum", [x]) { x.sum(axes: [0, 2], keepDims: true) }
        grad.check("mean", [x]) { x.mean(axes: [1]) }
        grad.check("max", [x], eps: 1e-3) { x.max(axis: 2) }
        grad.check("exp", [x]) { x.exp() }
        grad.check("log", [p]) { p.log() }
        grad.check("sqrt", [p]) { p.sqrt() }
        grad.check("square", [x]) { x.square() }
        grad.check("relu", [x]) { x.relu() }
        grad.check("leakyRelu", [x]) { x.leakyRelu(slope: 0.1) }
        grad.check("softmax", [x]) { x.softmax(axis: 1) }
        grad.check("logSoftmax", [x]) { x.logSoftmax(axis: -1) }
        grad.check("l2Normalized", [x]) { x.l2Normalized(axis: 2) }
    }

    func testLayout() {
        let x = grad.away([2, 3, 4])
        let y = grad.away([2, 2, 4])
        grad.check("reshape", [x]) { x.reshaped([4, 6]) }
        grad.check("permute", [x]) { x.permuted([1, 2, 0]) }
        grad.check("concat", [x, y]) { concat([x, y], axis: 1) }
        grad.check("slice", [x]) { x.sliced(axis: 2, 1..<3) }
        grad.check("pad", [x]) { x.padded(axis: 1, before: 2, after: 1) }
    }

    func testConvolutionAndPooling() {
        let x1 = grad.away([2, 3, 9])
        let w1 = grad.away([4, 3, 3])
        let b1 = grad.away([4])
        grad.check("conv1d", [x1, w1, b1]) { conv1d(x1, weight: w1, bias: b1, stride: 2, padding: 1) }
        let x2 = grad.away([2, 3, 6, 5])
        let w2 = grad.away([4, 3, 3, 2])
        let b2 = grad.away([4])
        grad.check("conv2d", [x2, w2, b2]) { conv2d(x2, weight: w2, bias: b2, stride: (2, 1), padding: (1, 1)) }
        // Distinct, well-separated values so no finite step changes which element wins the max.
        let perm = grad.rng.permutation(2 * 3 * 6 * 5)
        let xp = Variable(Tensor(shape: [2, 3, 6, 5], storage: perm.map { Float($0) * 0.1 }))
        grad.check("maxPool2d", [xp], eps: 1e-3) { maxPool2d(xp, kernel: (2, 2)) }
    }

    func testNormalisation() {
        let x = grad.away([4, 3, 5])
        let g = grad.away([3])
        let b = grad.away([3])
        let rm = Tensor.normal([3], rng: &grad.rng)
        let rv = Tensor.uniform([3], low: 0.5, high: 2, rng: &grad.rng)
        grad.check("batchNorm train", [x, g, b]) {
            batchNorm(x, gamma: g, beta: b, runningMean: rm, runningVar: rv, training: true, eps: 1e-5).y
        }
        grad.check("batchNorm eval", [x, g, b]) {
            batchNorm(x, gamma: g, beta: b, runningMean: rm, runningVar: rv, training: false, eps: 1e-5).y
        }
        let y = grad.away([2, 4, 6])
        let lg = grad.away([6])
        let lb = grad.away([6])
        grad.check("layerNorm", [y, lg, lb]) { layerNorm(y, gamma: lg, beta: lb, eps: 1e-5) }
    }

    func testDropoutWithFixedMask() {
        let x = grad.away([4, 5])
        let seed = grad.rng
        grad.check("dropout", [x]) {
            var r = seed
            return x.dropout(p: 0.3, training: true, rng: &r)
        }
    }

    func testSimilarityAndCrossEntropy() {
        let a = grad.away([5, 6])
        let b = grad.away([4, 6])
        grad.check("cosineSimilarityMatrix", [a, b]) { cosineSimilarityMatrix(a, b) }
        let logits = grad.away([5, 4])
        grad.check("crossEntropy", [logits]) { crossEntropy(logits, targets: [0, 3, 1, 1, 2]) }
    }

    func testLayers() {
        let lin = Linear(6, 3, rng: &grad.rng)
        grad.checkModule("Linear", lin, grad.away([4, 6])) { lin($0) }
        let conv = Conv2d(2, 3, kernel: (3, 2), stride: (1, 2), padding: (1, 0), rng: &grad.rng)
        grad.checkModule("Conv2d", conv, grad.away([2, 2, 5, 6])) { conv($0) }
        let bn = BatchNorm(3)
        grad.checkModule("BatchNorm", bn, grad.away([5, 3, 4])) { bn($0) }
        let ln = LayerNorm(6)
        grad.checkModule("LayerNorm", ln, grad.away([3, 6])) { ln($0) }
        let mha = MultiheadAttention(embedDim: 8, heads: 2, rng: &grad.rng)
        grad.checkModule("MultiheadAttention", mha, grad.away([2, 5, 8])) { mha($0) }
        let layer = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, dropout: 0, rng: &grad.rng)
        grad.checkModule("TransformerEncoderLayer", layer, grad.away([2, 5, 8]), eps: 1e-3) { layer($0) }
    }
}
