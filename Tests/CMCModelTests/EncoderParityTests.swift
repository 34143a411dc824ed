import CMCCore
import CMCModel
import CMCTensor
import CMCTestSupport
import XCTest

/// The model's blocks, the two encoders (reduced size), folded inference and the heads against PyTorch.
final class EncoderParityTests: XCTestCase {
    var rng = SeededRNG(seed: 7)

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

    /// The reduced inertial encoder a fixture was made with (tools/make_fixtures.py).
    static func inertialConfig(_ f: Fixture) -> InertialEncoder.Config {
        var c = InertialEncoder.Config()
        c.inChannels = f.int("in_channels")
        c.channels = f.ints("channels")
        c.heads = f.int("heads")
        c.layers = f.int("layers")
        c.feedForward = f.int("ff")
        c.dropout = f.float("dropout")
        return c
    }

    func testInertialEncoderSmall() throws {
        for name in ["inertial_encoder_small_train", "inertial_encoder_small_eval"] {
            let f = try Fixture(name)
            let m = InertialEncoder(Self.inertialConfig(f), rng: &rng)
            try checkModule(name, module: m, inputs: ["x"]) { m($0[0]) }
        }
    }

    /// On one thread, and with the two streams side by side (`Concurrently.withBothCores`, as SimCLR trains it:
    /// the input's gradient gathers both streams' parts).
    func testSkeletonEncoderSmall() throws {
        for name in ["skeleton_encoder_small_train", "skeleton_encoder_small_eval"] {
            let f = try Fixture(name)
            var c = SkeletonEncoder.Config()
            c.channels = f.ints("channels")
            let m = SkeletonEncoder(c, rng: &rng)
            XCTAssertEqual(m.outputSize, f["out"].shape[1])
            try checkModule(name, module: m, inputs: ["x"]) { m($0[0]) }
            m.zeroGrad()
            try Concurrently.withBothCores { try checkModule(name, module: m, inputs: ["x"]) { m($0[0]) } }
        }
    }

    /// Inference folds BatchNorm into the preceding convolution; it must give the eval-mode output.
    func testFoldedInferenceMatchesEvalFixtures() throws {
        for name in ["inertial_encoder_small_eval", "skeleton_encoder_small_eval"] {
            let f = try Fixture(name)
            let m: Module
            let run: (Variable) -> Variable
            if name.hasPrefix("inertial") {
                let e = InertialEncoder(Self.inertialConfig(f), rng: &rng)
                m = e
                run = { e($0) }
            } else {
                var c = SkeletonEncoder.Config()
                c.channels = f.ints("channels")
                let e = SkeletonEncoder(c, rng: &rng)
                m = e
                run = { e($0) }
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

    func testProjectionHeadGradient() {
        let grad = GradientChecker(seed: 11)
        let head = ProjectionHead(inFeatures: 10, hidden: 8, out: 4, rng: &grad.rng)
        grad.checkModule("ProjectionHead", head, grad.away([6, 10]), eps: 1e-3) { head($0) }
    }
}
