import CMCCore
import CMCModel
import CMCTensor
import CMCTraining
import XCTest

/// Layers, blocks, the two encoders (reduced size) and the losses against PyTorch.
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

    final class Stack: Module {
        let a: ConvBN2d, b: ConvBN2d
        init(rng: inout SeededRNG) {
            a = ConvBN2d(3, 4, kernel: (3, 3), relu: true, pool: false, rng: &rng)
            b = ConvBN2d(4, 6, kernel: (3, 3), relu: true, pool: false, rng: &rng)
        }
        override var children: [(String, Module)] { [("0", a), ("1", b)] }
    }

    func testConvBNReLUStack() throws {
        let m = Stack(rng: &rng)
        try checkModule("conv_bn_relu_stack", module: m, inputs: ["x"]) { m.b(m.a($0[0])) }
    }

    func testInertialEncoderSmall() throws {
        for name in ["inertial_encoder_small_train", "inertial_encoder_small_eval"] {
            let f = try Fixture(name)
            var c = InertialEncoder.Config()
            c.inChannels = f.int("in_channels"); c.channels = f.ints("channels"); c.heads = f.int("heads")
            c.layers = f.int("layers"); c.feedForward = f.int("ff"); c.dropout = f.float("dropout")
            let m = InertialEncoder(c, rng: &rng)
            try checkModule(name, module: m, inputs: ["x"]) { m($0[0]) }
        }
    }

    func testSkeletonEncoderSmall() throws {
        for name in ["skeleton_encoder_small_train", "skeleton_encoder_small_eval"] {
            let f = try Fixture(name)
            var c = SkeletonEncoder.Config()
            c.channels = f.ints("channels")
            let m = SkeletonEncoder(c, rng: &rng)
            XCTAssertEqual(m.outputSize, f["out"].shape[1])
            try checkModule(name, module: m, inputs: ["x"]) { m($0[0]) }
        }
    }

    /// Inference folds BatchNorm into the preceding convolution; it must give the eval-mode output.
    func testFoldedInferenceMatchesEvalFixtures() throws {
        for name in ["inertial_encoder_small_eval", "skeleton_encoder_small_eval"] {
            let f = try Fixture(name)
            let m: Module, run: (Variable) -> Variable
            if name.hasPrefix("inertial") {
                var c = InertialEncoder.Config()
                c.inChannels = f.int("in_channels"); c.channels = f.ints("channels"); c.heads = f.int("heads")
                c.layers = f.int("layers"); c.feedForward = f.int("ff"); c.dropout = f.float("dropout")
                let e = InertialEncoder(c, rng: &rng); m = e; run = { e($0) }
            } else {
                var c = SkeletonEncoder.Config()
                c.channels = f.ints("channels")
                let e = SkeletonEncoder(c, rng: &rng); m = e; run = { e($0) }
            }
            try m.load(stateDict: f.stateDict)
            m.eval()
            let out = GradMode.withoutGrad { run(Variable(f["in.x"])) }
            assertClose(out.value, f["out"], "\(name) folded inference")
        }
    }

    func testFullSizeParameterCounts() {
        // method.md §3: 1,238,880 (inertial, UTD) and 432,000 (skeleton, UTD).
        XCTAssertEqual(InertialEncoder(rng: &rng).parameterCount, 1_238_880)
        XCTAssertEqual(SkeletonEncoder(rng: &rng).parameterCount, 432_000)
        XCTAssertEqual(InertialEncoder(rng: &rng).outputSize, 5632)
        XCTAssertEqual(SkeletonEncoder(rng: &rng).outputSize, 256)
    }

    func testProjectionHeadAndClassifier() throws {
        let head = ProjectionHead(inFeatures: 20, hidden: 16, out: 8, rng: &rng)
        try checkModule("projection_head", module: head, inputs: ["x"]) { head($0[0]) }
        let clf = MultiModalClassifier(inertialFeatures: 12, skeletonFeatures: 10, hidden: 16, classes: 5, rng: &rng)
        try checkModule("multimodal_classifier", module: clf, inputs: ["inertial", "skeleton"]) {
            clf(inertial: $0[0], skeleton: $0[1])
        }
    }

    func testContrastiveLosses() throws {
        try checkOp("nt_xent", inputs: ["z1", "z2"]) { v, f in
            ContrastiveLoss.ntXent(v["z1"]!, v["z2"]!, temperature: f.float("tau"))
        }
        try checkOp("cmc_loss", inputs: ["zi", "zs"]) { v, f in
            ContrastiveLoss.cmc(v["zi"]!, v["zs"]!, temperature: f.float("tau"))
        }
    }

    func testCMKMLoss() throws {
        for name in ["cmkm_loss", "cmkm_loss_tempered", "cmkm_loss_k2"] {
            try checkOp(name, inputs: ["zi", "zs"]) { v, f in
                var o = CMKMLoss.Options()
                o.temperature = f.float("tau"); o.k = f.int("k"); o.intraNegativeWeight = f.float("lambda")
                o.temperIntraTerms = (f.config["temper_intra"] as? Bool) ?? false
                let loss = CMKMLoss(o)
                let mining = loss.mine(teacherInertial: f["in.teacher_i"], teacherSkeleton: f["in.teacher_s"])
                XCTAssertEqual(mining.neighbours[0].flatMap { $0 }, f["aux.mined_i"].storage.map { Int($0) }, "\(name) mined (inertial)")
                XCTAssertEqual(mining.neighbours[1].flatMap { $0 }, f["aux.mined_s"].storage.map { Int($0) }, "\(name) mined (skeleton)")
                return loss(v["zi"]!, v["zs"]!, mining: mining)
            }
        }
    }
}
