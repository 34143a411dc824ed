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
}
