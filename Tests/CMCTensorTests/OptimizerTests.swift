import CMCCore
import CMCTensor
import Foundation
import CMCTestSupport
import XCTest

/// Adam, SGD and ReduceLROnPlateau against trajectories recorded from torch.optim
/// (tools/make_optimizer_fixtures.py).
final class OptimizerTests: XCTestCase {
    struct Fixture: Decodable {
        struct Plateau: Decodable {
            var metrics: [Float]
            var factor: Float
            var patience: Int
            var lrs: [String: [Float]]
        }
        var p0: [Float]
        var grads: [[Float]]
        var trajectories: [String: [[Float]]]
        var plateau: Plateau
    }

    func load() throws -> Fixture {
        let url = try CMCTestSupport.Fixture.url("optimizers", "json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testTrajectoriesMatchPyTorch() throws {
        let f = try load()
        let makers: [String: (Variable) -> Optimizer] = [
            "adam": { Adam([$0], learningRate: 1e-2) },
            "adam_wd": { Adam([$0], learningRate: 1e-2, weightDecay: 0.1) },
            "sgd_momentum": { SGD([$0], learningRate: 0.1, momentum: 0.9) },
            "sgd_momentum_wd": { SGD([$0], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) },
        ]
        for (name, make) in makers {
            let p = Variable(Tensor(shape: [7], storage: f.p0), requiresGrad: true)
            let opt = make(p)
            for (step, g) in f.grads.enumerated() {
                p.grad = Tensor(shape: [7], storage: g)
                opt.step()
                let expected = f.trajectories[name]![step]
                for (a, e) in zip(p.value.storage, expected) {
                    XCTAssertEqual(a, e, accuracy: 1e-5, "\(name) step \(step + 1)")
                }
            }
        }
    }

    func testReduceLROnPlateauMatchesPyTorch() throws {
        let f = try load()
        for mode in ["min", "max"] {
            let p = Variable(.zeros([1]), requiresGrad: true)
            let opt = SGD([p], learningRate: 1)
            var sched = ReduceLROnPlateau(
                mode: mode == "min" ? .min : .max, factor: f.plateau.factor, patience: f.plateau.patience)
            var lrs: [Float] = []
            for m in f.plateau.metrics {
                sched.step(m, optimizer: opt)
                lrs.append(opt.learningRate)
            }
            XCTAssertEqual(lrs, f.plateau.lrs[mode], "\(mode) mode")
        }
    }

    func testAdamStateRoundTripResumesExactly() throws {
        let f = try load()
        let a = Variable(Tensor(shape: [7], storage: f.p0), requiresGrad: true)
        let adamA = Adam([a], learningRate: 1e-2)
        for g in f.grads {
            a.grad = Tensor(shape: [7], storage: g)
            adamA.step()
        }
        let b = Variable(Tensor(shape: [7], storage: f.p0), requiresGrad: true)
        let first = Adam([b], learningRate: 1e-2)
        for g in f.grads.prefix(2) {
            b.grad = Tensor(shape: [7], storage: g)
            first.step()
        }
        let resumed = Adam([b], learningRate: 1e-2)
        try resumed.load(state: first.state())
        for g in f.grads.dropFirst(2) {
            b.grad = Tensor(shape: [7], storage: g)
            resumed.step()
        }
        XCTAssertEqual(a.value, b.value)
    }

    /// Adam updates its parameters in two halves on two threads; every parameter must get exactly the update
    /// an Adam of its own gives it (the update is elementwise), frozen ones none, across resumed state.
    func testAdamInHalvesEqualsOneAdamPerParameter() throws {
        var rng = SeededRNG(seed: 8)
        let shapes = [[300], [5, 7], [1000], [3], [64, 9]]
        let together = shapes.map { Variable(.normal($0, rng: &rng), requiresGrad: true) }
        let alone = together.map { Variable($0.value, requiresGrad: true) }
        together[3].requiresGrad = false
        alone[3].requiresGrad = false
        let frozen = together[3].value
        var adam = Adam(together, learningRate: 1e-2, weightDecay: 0.01)
        let own = alone.map { Adam([$0], learningRate: 1e-2, weightDecay: 0.01) }
        for step in 0..<4 {
            for (a, b) in zip(together, alone) {
                let g = Tensor.normal(a.shape, rng: &rng)
                a.grad = g
                b.grad = g
            }
            adam.step()
            for o in own { o.step() }
            if step == 1 {
                let resumed = Adam(together, learningRate: 1e-2, weightDecay: 0.01)
                try resumed.load(state: adam.state())
                adam = resumed
            }
        }
        for (i, (a, b)) in zip(together, alone).enumerated() { XCTAssertEqual(a.value, b.value, "parameter \(i)") }
        XCTAssertEqual(together[3].value, frozen)
    }
}
