import Foundation

/// Something that updates parameters from their gradients and has a learning rate a scheduler may change.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    func step()
    func zeroGrad()
    /// Internal state (moments, step count) for checkpoints.
    func state() -> [String: Tensor]
    func load(state: [String: Tensor]) throws
}

/// Adam as in `torch.optim.Adam` (L2 weight decay added to the gradient when non-zero).
///
/// The update is elementwise, so the parameters are split into two halves of about equal size updated on
/// the two cores (`Concurrently`): the step otherwise ran alone between two parallel backward passes.
public final class Adam: Optimizer {
    /// The first and second moments of one parameter; one object per parameter, so the two halves of a
    /// step never write to the same array.
    private final class Moments {
        var m: [Float]
        var v: [Float]
        init(count: Int) {
            m = [Float](repeating: 0, count: count)
            v = m
        }
    }

    public let parameters: [Variable]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    private let moments: [Moments]
    /// Index where the second half of the parameters starts (by element count).
    private let half: Int
    public private(set) var stepCount = 0

    public init(
        _ parameters: [Variable], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        eps: Float = 1e-8, weightDecay: Float = 0
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        moments = parameters.map { Moments(count: $0.value.count) }
        let total = parameters.reduce(0) { $0 + $1.value.count }
        var seen = 0
        half =
            parameters.firstIndex { p in
                defer { seen += p.value.count }
                return 2 * seen >= total
            } ?? parameters.count
    }

    public func step() {
        stepCount += 1
        let bc1 = 1 - pow(beta1, Float(stepCount))
        let bc2 = 1 - pow(beta2, Float(stepCount))
        let stepSize = learningRate / bc1
        let bc2Root = bc2.squareRoot()
        let (b1, b2, e, wd) = (beta1, beta2, eps, weightDecay)
        func update(_ range: Range<Int>) {
            for i in range {
                let p = parameters[i]
                guard p.requiresGrad, let g = p.grad else { continue }
                let mo = moments[i]
                g.storage.withUnsafeBufferPointer { pg in
                    mo.m.withUnsafeMutableBufferPointer { pm in
                        mo.v.withUnsafeMutableBufferPointer { pv in
                            p.value.storage.withUnsafeMutableBufferPointer { pp in
                                for j in 0..<pp.count {
                                    let gj = wd == 0 ? pg[j] : pg[j] + wd * pp[j]
                                    pm[j] = b1 * pm[j] + (1 - b1) * gj
                                    pv[j] = b2 * pv[j] + (1 - b2) * gj * gj
                                    pp[j] -= stepSize * pm[j] / (pv[j].squareRoot() / bc2Root + e)
                                }
                            }
                        }
                    }
                }
            }
        }
        let count = parameters.count
        _ = Concurrently.run({ update(0..<half) }, { update(half..<count) })
    }

    public func zeroGrad() { for p in parameters { p.grad = nil } }

    public func state() -> [String: Tensor] {
        var s: [String: Tensor] = ["step": Tensor(scalar: Float(stepCount)), "lr": Tensor(scalar: learningRate)]
        for (i, mo) in moments.enumerated() {
            s["m.\(i)"] = Tensor(shape: [mo.m.count], storage: mo.m)
            s["v.\(i)"] = Tensor(shape: [mo.v.count], storage: mo.v)
        }
        return s
    }

    public func load(state s: [String: Tensor]) throws {
        guard let step = s["step"], let lr = s["lr"] else {
            throw StateDictError(problems: ["optimizer state lacks step/lr"])
        }
        var loaded: [(m: [Float], v: [Float])] = []
        for (i, mo) in moments.enumerated() {
            guard let mi = s["m.\(i)"], let vi = s["v.\(i)"], mi.count == mo.m.count, vi.count == mo.v.count else {
                throw StateDictError(problems: ["optimizer state for parameter \(i) is missing or has the wrong size"])
            }
            loaded.append((mi.storage, vi.storage))
        }
        for (mo, l) in zip(moments, loaded) {
            mo.m = l.m
            mo.v = l.v
        }
        stepCount = Int(step.scalar)
        learningRate = lr.scalar
    }
}

/// SGD with (optional) momentum and weight decay, as `torch.optim.SGD` (dampening 0, not Nesterov).
public final class SGD: Optimizer {
    public let parameters: [Variable]
    public var learningRate: Float
    public let momentum: Float, weightDecay: Float
    private var buffers: [[Float]?]

    public init(_ parameters: [Variable], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        for (i, p) in parameters.enumerated() {
            guard p.requiresGrad, let g = p.grad else { continue }
            var d = g.storage
            if weightDecay != 0 { for j in d.indices { d[j] += weightDecay * p.value.storage[j] } }
            if momentum != 0 {
                if var buf = buffers[i] {
                    for j in d.indices { buf[j] = momentum * buf[j] + d[j] }
                    buffers[i] = buf
                    d = buf
                } else {
                    buffers[i] = d
                }
            }
            for j in d.indices { p.value.storage[j] -= learningRate * d[j] }
        }
    }

    public func zeroGrad() { for p in parameters { p.grad = nil } }

    public func state() -> [String: Tensor] {
        var s: [String: Tensor] = ["lr": Tensor(scalar: learningRate)]
        for (i, b) in buffers.enumerated() { if let b { s["momentum.\(i)"] = Tensor(shape: [b.count], storage: b) } }
        return s
    }

    public func load(state s: [String: Tensor]) throws {
        if let lr = s["lr"] { learningRate = lr.scalar }
        for i in parameters.indices { buffers[i] = s["momentum.\(i)"]?.storage }
    }
}

/// `torch.optim.lr_scheduler.ReduceLROnPlateau` with relative threshold 1e-4 and no cooldown.
public struct ReduceLROnPlateau: Sendable, Codable {
    public enum Mode: String, Sendable, Codable { case min, max }
    public let mode: Mode, factor: Float, patience: Int, threshold: Float, minLR: Float
    public private(set) var best: Float
    public private(set) var badEpochs = 0

    public init(mode: Mode, factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4, minLR: Float = 0) {
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.minLR = minLR
        best = mode == .min ? .infinity : -.infinity
    }

    /// Records one epoch's metric and lowers the optimiser's learning rate after `patience` bad epochs.
    /// Returns true when the rate was reduced.
    @discardableResult
    public mutating func step(_ metric: Float, optimizer: Optimizer) -> Bool {
        let better = mode == .min ? metric < best * (1 - threshold) : metric > best * (1 + threshold)
        if better {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        guard badEpochs > patience else { return false }
        badEpochs = 0
        let newLR = Swift.max(optimizer.learningRate * factor, minLR)
        if optimizer.learningRate - newLR > 1e-8 {
            optimizer.learningRate = newLR
            return true
        }
        return false
    }
}
