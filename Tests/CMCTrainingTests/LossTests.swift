import CMCCore
import CMCModel
import CMCTensor
import CMCTestSupport
@testable import CMCTraining
import XCTest

/// The contrastive losses (NT-Xent, CMC, CMC-CMKM with its mining) against PyTorch and by finite differences.
final class LossTests: XCTestCase {
    let grad = GradientChecker(seed: 11)

    func testContrastiveLosses() throws {
        try checkOp("nt_xent", inputs: ["z1", "z2"]) { v, f in
            ContrastiveLoss.ntXent(v["z1"]!, v["z2"]!, temperature: f.float("tau"))
        }
        try checkOp("cmc_loss", inputs: ["zi", "zs"]) { v, f in
            ContrastiveLoss.cmc(v["zi"]!, v["zs"]!, temperature: f.float("tau"))
        }
    }

    /// An encoder and its projection head under the names of a SimCLR checkpoint.
    final class SimCLRModules: Module {
        let encoder: SkeletonEncoder, head: ProjectionHead
        init(_ f: Fixture, rng: inout SeededRNG) {
            var c = SkeletonEncoder.Config()
            c.channels = f.ints("channels")
            encoder = SkeletonEncoder(c, rng: &rng)
            let h = f.ints("head")
            head = ProjectionHead(inFeatures: h[0], hidden: h[1], out: h[2], rng: &rng)
        }
        override var children: [(String, Module)] { [("encoder", encoder), ("head", head)] }
    }

    /// The SimCLR step's loss against PyTorch: both views go through one encoder pass, so train-mode
    /// BatchNorm normalises (and updates its running averages) with statistics over all 2N rows, as the
    /// reference's `torch.cat(views)` does — loss, every parameter gradient and the running averages match.
    func testSimCLRLossIsOneForwardOverBothViews() throws {
        let f = try Fixture("simclr_loss")
        var rng = SeededRNG(seed: 3)
        let m = SimCLRModules(f, rng: &rng)
        let tau = f.float("tau")
        let views = Kernels.concat([f["in.v1"], f["in.v2"]], axis: 0)
        // As the stage runs it: the encoder's streams side by side (`trainsOnBothCores`).
        XCTAssertTrue(m.encoder.trainsOnBothCores)
        try Concurrently.withBothCores {
            try checkModule("simclr_loss", module: m, inputs: []) { _ in
                SSLStages.simclrLoss(encoder: m.encoder, head: m.head, views: views, temperature: tau)
            }
        }
        // A pass per view (BatchNorm statistics of N rows each) is another loss: the fixture tells them apart.
        try m.load(stateDict: f.stateDict)
        let perView = ContrastiveLoss.ntXent(
            m.head(m.encoder(Variable(f["in.v1"]))), m.head(m.encoder(Variable(f["in.v2"]))), temperature: tau)
        XCTAssertGreaterThan(abs(perView.value.scalar - f["out"].scalar), 0.01)
    }

    func testCMKMLoss() throws {
        for name in ["cmkm_loss", "cmkm_loss_tempered", "cmkm_loss_k2"] {
            try checkOp(name, inputs: ["zi", "zs"]) { v, f in
                var o = CMKMLoss.Options()
                o.temperature = f.float("tau")
                o.k = f.int("k")
                o.intraNegativeWeight = f.float("lambda")
                o.temperIntraTerms = (f.config["temper_intra"] as? Bool) ?? false
                let loss = CMKMLoss(o)
                let mining = loss.mine(teacherInertial: f["in.teacher_i"], teacherSkeleton: f["in.teacher_s"])
                XCTAssertEqual(
                    mining.neighbours[0].flatMap { $0 }, f["aux.mined_i"].storage.map { Int($0) },
                    "\(name) mined (inertial)")
                XCTAssertEqual(
                    mining.neighbours[1].flatMap { $0 }, f["aux.mined_s"].storage.map { Int($0) },
                    "\(name) mined (skeleton)")
                return loss(v["zi"]!, v["zs"]!, mining: mining)
            }
        }
    }

    func testLossGradients() {
        let z1 = grad.away([6, 8])
        let z2 = grad.away([6, 8])
        grad.check("ntXent", [z1, z2]) { ContrastiveLoss.ntXent(z1, z2, temperature: 0.5) }
        grad.check("cmc", [z1, z2], eps: 3e-3) { ContrastiveLoss.cmc(z1, z2, temperature: 0.1) }
        let loss = CMKMLoss()
        let mining = loss.mine(
            teacherInertial: .normal([6, 10], rng: &grad.rng),
            teacherSkeleton: .normal([6, 7], rng: &grad.rng))
        grad.check("cmkm", [z1, z2], eps: 3e-3) { loss(z1, z2, mining: mining) }
        var o = CMKMLoss.Options()
        o.symmetricMining = true
        o.negativePruningThreshold = 0.1
        o.lossWeightingScale = 0.25
        o.temperIntraTerms = true
        let ablated = CMKMLoss(o)
        grad.check("cmkm ablations", [z1, z2], eps: 3e-3) { ablated(z1, z2, mining: mining) }
    }
}
