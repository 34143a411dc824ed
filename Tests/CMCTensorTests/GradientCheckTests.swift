import CMCCore
import CMCModel
import CMCTensor
import CMCTraining
import XCTest

/// Finite-difference checks of every differentiable op and layer: the directional derivative
/// (f(x + εv) − f(x − εv)) / 2ε along random directions v must match ⟨∇f, v⟩ from backward().
final class GradientCheckTests: XCTestCase {
    var rng = SeededRNG(seed: 11)

    /// Leaves: the tensors being differentiated (inputs and/or parameters). `f` recomputes the output
    /// from the leaves' current values; it is reduced to a scalar with a fixed random cotangent.
    func gradCheck(_ what: String, _ leaves: [Variable], eps: Float = 1e-2, tol: Double = 2e-2,
                   file: StaticString = #filePath, line: UInt = #line, _ f: () -> Variable) {
        for l in leaves { l.requiresGrad = true; l.grad = nil }
        let out0 = f()
        let cot = Tensor.normal(out0.shape, rng: &rng)
        out0.backward(seed: cot)
        let grads = leaves.map { $0.grad ?? Tensor(shape: $0.shape) }
        func loss() -> Double {
            let v = GradMode.withoutGrad { f().value }
            return zip(v.storage, cot.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for trial in 0..<3 {
            let dirs = leaves.map { Tensor.normal($0.shape, rng: &rng) }
            let originals = leaves.map(\.value)
            func shift(_ s: Float) { for (l, (o, d)) in zip(leaves, zip(originals, dirs)) { l.value = o + d * s } }
            shift(eps); let plus = loss()
            shift(-eps); let minus = loss()
            shift(0)
            let numeric = (plus - minus) / (2 * Double(eps))
            let analytic = zip(grads, dirs).reduce(0.0) { acc, gd in
                acc + zip(gd.0.storage, gd.1.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
            let scale = max(abs(numeric), abs(analytic), 1e-2)
            XCTAssert(abs(numeric - analytic) <= tol * scale,
                      "\(what) trial \(trial): numeric \(numeric) vs analytic \(analytic)", file: file, line: line)
        }
    }

    /// Random values kept at least `margin` away from zero (away from the kinks of relu, abs, max).
    func away(_ shape: [Int], margin: Float = 0.2) -> Variable {
        var t = Tensor.normal(shape, rng: &rng)
        for i in 0..<t.count { t.storage[i] += t.storage[i] >= 0 ? margin : -margin }
        return Variable(t)
    }

    func positive(_ shape: [Int]) -> Variable {
        Variable(Tensor.uniform(shape, low: 0.5, high: 2, rng: &rng))
    }

    func testArithmetic() {
        let a = away([2, 3, 4]), b = away([3, 1]), c = positive([4])
        gradCheck("add", [a, b]) { a + b }
        gradCheck("sub", [a, b]) { a - b }
        gradCheck("mul", [a, b]) { a * b }
        gradCheck("div", [a, c]) { a / c }
        gradCheck("scalar ops", [a]) { (a * 3 + 1) / 2 - 0.5 }
        gradCheck("negate", [a]) { -a }
    }

    func testMatrixProducts() {
        let a = away([4, 5]), b = away([5, 3]), bt = away([3, 5])
        gradCheck("matmul", [a, b]) { matmul(a, b) }
        gradCheck("matmul transB", [a, bt]) { matmul(a, bt, transB: true) }
        let x = away([2, 4, 5]), y = away([2, 5, 3]), yt = away([2, 3, 5])
        gradCheck("bmm", [x, y]) { bmm(x, y) }
        gradCheck("bmm transB", [x, yt]) { bmm(x, yt, transB: true) }
        let w = away([3, 5]), bias = away([3])
        gradCheck("linear", [x, w, bias]) { linear(x, weight: w, bias: bias) }
    }

    func testReductionsAndUnary() {
        let x = away([2, 3, 4]), p = positive([2, 3, 4])
        gradCheck("sum", [x]) { x.sum(axes: [0, 2], keepDims: true) }
        gradCheck("mean", [x]) { x.mean(axes: [1]) }
        gradCheck("max", [x], eps: 1e-3) { x.max(axis: 2) }
        gradCheck("exp", [x]) { x.exp() }
        gradCheck("log", [p]) { p.log() }
        gradCheck("sqrt", [p]) { p.sqrt() }
        gradCheck("square", [x]) { x.square() }
        gradCheck("relu", [x]) { x.relu() }
        gradCheck("leakyRelu", [x]) { x.leakyRelu(slope: 0.1) }
        gradCheck("softmax", [x]) { x.softmax(axis: 1) }
        gradCheck("logSoftmax", [x]) { x.logSoftmax(axis: -1) }
        gradCheck("l2Normalized", [x]) { x.l2Normalized(axis: 2) }
    }

    func testLayout() {
        let x = away([2, 3, 4]), y = away([2, 2, 4])
        gradCheck("reshape", [x]) { x.reshaped([4, 6]) }
        gradCheck("permute", [x]) { x.permuted([1, 2, 0]) }
        gradCheck("concat", [x, y]) { concat([x, y], axis: 1) }
        gradCheck("slice", [x]) { x.sliced(axis: 2, 1..<3) }
        gradCheck("pad", [x]) { x.padded(axis: 1, before: 2, after: 1) }
    }

    func testConvolutionAndPooling() {
        let x1 = away([2, 3, 9]), w1 = away([4, 3, 3]), b1 = away([4])
        gradCheck("conv1d", [x1, w1, b1]) { conv1d(x1, weight: w1, bias: b1, stride: 2, padding: 1) }
        let x2 = away([2, 3, 6, 5]), w2 = away([4, 3, 3, 2]), b2 = away([4])
        gradCheck("conv2d", [x2, w2, b2]) { conv2d(x2, weight: w2, bias: b2, stride: (2, 1), padding: (1, 1)) }
        // Distinct, well-separated values so no finite step changes which element wins the max.
        let perm = rng.permutation(2 * 3 * 6 * 5)
        let xp = Variable(Tensor(shape: [2, 3, 6, 5], storage: perm.map { Float($0) * 0.1 }))
        gradCheck("maxPool2d", [xp], eps: 1e-3) { maxPool2d(xp, kernel: (2, 2)) }
    }

    func testNormalisation() {
        let x = away([4, 3, 5]), g = away([3]), b = away([3])
        let rm = Tensor.normal([3], rng: &rng), rv = Tensor.uniform([3], low: 0.5, high: 2, rng: &rng)
        gradCheck("batchNorm train", [x, g, b]) {
            batchNorm(x, gamma: g, beta: b, runningMean: rm, runningVar: rv, training: true, eps: 1e-5).y
        }
        gradCheck("batchNorm eval", [x, g, b]) {
            batchNorm(x, gamma: g, beta: b, runningMean: rm, runningVar: rv, training: false, eps: 1e-5).y
        }
        let y = away([2, 4, 6]), lg = away([6]), lb = away([6])
        gradCheck("layerNorm", [y, lg, lb]) { layerNorm(y, gamma: lg, beta: lb, eps: 1e-5) }
    }

    func testDropoutWithFixedMask() {
        let x = away([4, 5])
        let seed = rng
        gradCheck("dropout", [x]) {
            var r = seed
            return x.dropout(p: 0.3, training: true, rng: &r)
        }
    }

    func testSimilarityAndLosses() {
        let a = away([5, 6]), b = away([4, 6])
        gradCheck("cosineSimilarityMatrix", [a, b]) { cosineSimilarityMatrix(a, b) }
        let logits = away([5, 4])
        gradCheck("crossEntropy", [logits]) { crossEntropy(logits, targets: [0, 3, 1, 1, 2]) }
        let z1 = away([6, 8]), z2 = away([6, 8])
        gradCheck("ntXent", [z1, z2]) { ContrastiveLoss.ntXent(z1, z2, temperature: 0.5) }
        gradCheck("cmc", [z1, z2], eps: 3e-3) { ContrastiveLoss.cmc(z1, z2, temperature: 0.1) }
        let loss = CMKMLoss()
        let mining = loss.mine(teacherInertial: .normal([6, 10], rng: &rng), teacherSkeleton: .normal([6, 7], rng: &rng))
        gradCheck("cmkm", [z1, z2], eps: 3e-3) { loss(z1, z2, mining: mining) }
        var o = CMKMLoss.Options()
        o.symmetricMining = true; o.negativePruningThreshold = 0.1; o.lossWeightingScale = 0.25; o.temperIntraTerms = true
        let ablated = CMKMLoss(o)
        gradCheck("cmkm ablations", [z1, z2], eps: 3e-3) { ablated(z1, z2, mining: mining) }
    }

    /// Layers are checked with respect to their input and then each parameter tensor on its own: moving
    /// one tensor at a time keeps the step from crossing many ReLU kinks at once.
    func checkModule(_ what: String, _ m: Module, _ x: Variable, eps: Float = 1e-2, _ f: @escaping (Variable) -> Variable) {
        gradCheck("\(what) d/dinput", [x], eps: eps) { f(x) }
        x.requiresGrad = false
        for (name, p) in m.namedParameters() {
            gradCheck("\(what) d/d\(name)", [p], eps: eps) { f(x) }
        }
    }

    func testLayers() {
        let lin = Linear(6, 3, rng: &rng)
        checkModule("Linear", lin, away([4, 6])) { lin($0) }
        let conv = Conv2d(2, 3, kernel: (3, 2), stride: (1, 2), padding: (1, 0), rng: &rng)
        checkModule("Conv2d", conv, away([2, 2, 5, 6])) { conv($0) }
        let bn = BatchNorm(3)
        checkModule("BatchNorm", bn, away([5, 3, 4])) { bn($0) }
        let ln = LayerNorm(6)
        checkModule("LayerNorm", ln, away([3, 6])) { ln($0) }
        let mha = MultiheadAttention(embedDim: 8, heads: 2, rng: &rng)
        checkModule("MultiheadAttention", mha, away([2, 5, 8])) { mha($0) }
        let layer = TransformerEncoderLayer(dModel: 8, heads: 2, feedForward: 16, dropout: 0, rng: &rng)
        checkModule("TransformerEncoderLayer", layer, away([2, 5, 8]), eps: 1e-3) { layer($0) }
        let head = ProjectionHead(inFeatures: 10, hidden: 8, out: 4, rng: &rng)
        checkModule("ProjectionHead", head, away([6, 10]), eps: 1e-3) { head($0) }
    }
}
