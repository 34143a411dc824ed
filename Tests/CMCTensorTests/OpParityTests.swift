import CMCCore
import CMCTensor
import CMCTestSupport
import XCTest

/// Every differentiable op against PyTorch (float64 reference), forward and backward.
final class OpParityTests: XCTestCase {
    func testBroadcastArithmetic() throws {
        try checkOp("add_broadcast", inputs: ["a", "b"]) { v, _ in v["a"]! + v["b"]! }
        try checkOp("sub_broadcast", inputs: ["a", "b"]) { v, _ in v["a"]! - v["b"]! }
        try checkOp("mul_broadcast", inputs: ["a", "b"]) { v, _ in v["a"]! * v["b"]! }
        try checkOp("div", inputs: ["a", "b"]) { v, _ in v["a"]! / v["b"]! }
    }

    func testMatrixProducts() throws {
        try checkOp("matmul", inputs: ["a", "b"]) { v, _ in matmul(v["a"]!, v["b"]!) }
        try checkOp("bmm", inputs: ["a", "b"]) { v, _ in bmm(v["a"]!, v["b"]!) }
    }

    func testReductions() throws {
        try checkOp("sum_axis1", inputs: ["x"]) { v, _ in v["x"]!.sum(axes: [1]) }
        try checkOp("mean_axis2", inputs: ["x"]) { v, _ in v["x"]!.mean(axes: [2]) }
        try checkOp("max_axis1", inputs: ["x"]) { v, _ in v["x"]!.max(axis: 1) }
    }

    func testUnary() throws {
        try checkOp("exp", inputs: ["x"]) { v, _ in v["x"]!.exp() }
        try checkOp("log", inputs: ["x"]) { v, _ in v["x"]!.log() }
        try checkOp("sqrt", inputs: ["x"]) { v, _ in v["x"]!.sqrt() }
        try checkOp("relu", inputs: ["x"]) { v, _ in v["x"]!.relu() }
        try checkOp("leaky_relu", inputs: ["x"]) { v, f in v["x"]!.leakyRelu(slope: f.float("negative_slope")) }
        try checkOp("softmax", inputs: ["x"]) { v, _ in v["x"]!.softmax(axis: -1) }
        try checkOp("log_softmax", inputs: ["x"]) { v, _ in v["x"]!.logSoftmax(axis: -1) }
    }

    func testLayout() throws {
        try checkOp("reshape", inputs: ["x"]) { v, f in v["x"]!.reshaped(f.ints("shape")) }
        try checkOp("permute", inputs: ["x"]) { v, f in v["x"]!.permuted(f.ints("perm")) }
        try checkOp("concat", inputs: ["a", "b"]) { v, f in concat([v["a"]!, v["b"]!], axis: f.int("axis")) }
        try checkOp("slice", inputs: ["x"]) { v, f in v["x"]!.sliced(axis: f.int("axis"), f.int("start")..<f.int("end"))
        }
        try checkOp("pad", inputs: ["x"]) { v, f in
            v["x"]!.padded(axis: f.int("axis"), before: f.int("left"), after: f.int("right"))
        }
    }

    func testConvolutionAndPooling() throws {
        for name in ["conv1d", "conv1d_stride2_pad2"] {
            try checkOp(name, inputs: ["x"]) { v, f in
                conv1d(
                    v["x"]!, weight: Variable(f["p.weight"]), bias: Variable(f["p.bias"]),
                    stride: f.int("stride"), padding: f.int("padding"))
            }
        }
        for name in ["conv2d", "conv2d_stride21_pad10"] {
            try checkOp(name, inputs: ["x"]) { v, f in
                let s = f.ints("stride")
                let p = f.ints("padding")
                return conv2d(
                    v["x"]!, weight: Variable(f["p.weight"]), bias: Variable(f["p.bias"]),
                    stride: (s[0], s[1]), padding: (p[0], p[1]))
            }
        }
        try checkOp("maxpool2d", inputs: ["x"]) { v, f in maxPool2d(v["x"]!, kernel: (f.int("kernel"), f.int("kernel")))
        }
    }

    func testConvolutionWeightGradients() throws {
        for name in ["conv1d", "conv1d_stride2_pad2", "conv2d", "conv2d_stride21_pad10"] {
            let f = try Fixture(name)
            let w = Variable(f["p.weight"], requiresGrad: true)
            let b = Variable(f["p.bias"], requiresGrad: true)
            let x = f.input("x")
            let y: Variable
            if x.shape.count == 3 {
                y = conv1d(x, weight: w, bias: b, stride: f.int("stride"), padding: f.int("padding"))
            } else {
                let s = f.ints("stride")
                let p = f.ints("padding")
                y = conv2d(x, weight: w, bias: b, stride: (s[0], s[1]), padding: (p[0], p[1]))
            }
            y.backward(seed: f["cot"])
            assertClose(w.grad!, f["g.p.weight"], "\(name) d/dweight")
            assertClose(b.grad!, f["g.p.bias"], "\(name) d/dbias")
        }
    }

    func testNormalisedSimilarityAndCrossEntropy() throws {
        try checkOp("l2_normalize", inputs: ["x"]) { v, _ in v["x"]!.l2Normalized(axis: 1) }
        try checkOp("cosine_similarity_matrix", inputs: ["a", "b"]) { v, _ in cosineSimilarityMatrix(v["a"]!, v["b"]!) }
        try checkOp("cross_entropy", inputs: ["logits"]) { v, f in
            crossEntropy(v["logits"]!, targets: f["in.target"].storage.map { Int($0) })
        }
    }
}
