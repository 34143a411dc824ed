import CMCCore
import CMCTensor
import CMCTestSupport
import XCTest

/// The engine's layers against PyTorch (float64 fixtures).
final class ModuleParityTests: XCTestCase {
    var rng = SeededRNG(seed: 7)

    func testLinear() throws {
        for name in ["linear", "linear_3d"] {
            let f = try Fixture(name)
            let m = Linear(f.int("in"), f.int("out"), rng: &rng)
            try checkModule(name, module: m, inputs: ["x"]) { m($0[0]) }
        }
    }

    func testBatchNorm() throws {
        for name in ["batchnorm1d_train_3d", "batchnorm1d_train_2d", "batchnorm1d_eval", "batchnorm2d_train"] {
            let m = BatchNorm(try Fixture(name).int("num_features"))
            try checkModule(name, module: m, inputs: ["x"]) { m($0[0]) }
        }
    }

    func testLayerNorm() throws {
        let m = LayerNorm(8)
        try checkModule("layernorm", module: m, inputs: ["x"]) { m($0[0]) }
    }

    func testMultiheadAttention() throws {
        let m = MultiheadAttention(embedDim: 16, heads: 2, rng: &rng)
        try checkModule("mha", module: m, inputs: ["x"]) { m($0[0]) }
    }

    func testTransformerEncoderLayer() throws {
        let m = TransformerEncoderLayer(dModel: 16, heads: 2, feedForward: 32, dropout: 0, rng: &rng)
        try checkModule("transformer_layer", module: m, inputs: ["x"]) { m($0[0]) }
    }
}
