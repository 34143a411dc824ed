import CMCCore
import CMCTensor
import Foundation

/// What every training loop does in an epoch, written once: index batches, then per batch zero the
/// gradients, compute the loss (graph recorded), check it, backpropagate and step.
enum OptimizationEpoch {
    /// The index batches of one epoch over `count` samples. A trailing batch shorter than `batchSize` is
    /// dropped when `dropLast` (contrastive losses need full batches) or when it holds one sample and is not
    /// the only batch (BatchNorm cannot train on a batch of one).
    static func batches(count: Int, batchSize: Int, shuffle: Bool, dropLast: Bool, rng: inout SeededRNG) -> [[Int]] {
        let order = shuffle ? rng.permutation(count) : Array(0..<count)
        var batches: [[Int]] = stride(from: 0, to: count, by: batchSize).map {
            Array(order[$0..<Swift.min($0 + batchSize, count)])
        }
        if let last = batches.last, last.count < batchSize, dropLast || (last.count < 2 && batches.count > 1) {
            batches.removeLast()
        }
        return batches
    }

    /// Trains on `batches` and returns the mean loss. `status` labels the progress line (e.g. "3/100").
    /// Throws `TrainingError.diverged` on a non-finite loss, before it reaches the weights.
    static func run(
        _ batches: [[Int]], optimizer: Adam, stage: String, epoch: Int, status: String,
        progress: ProgressReporter, rng: inout SeededRNG,
        loss: ([Int], inout SeededRNG) -> Variable
    ) throws -> Double {
        var total = 0.0
        var n = 0
        // The graph is released before the optimiser step: its backward closures hold the parameters'
        // values, and updating a parameter still shared with them would copy it first.
        func backpropagate(_ indices: [Int]) throws -> Float {
            let value = loss(indices, &rng)
            guard value.value.scalar.isFinite else { throw TrainingError.diverged(stage, epoch) }
            value.backward()
            return value.value.scalar
        }
        for indices in batches {
            optimizer.zeroGrad()
            let value = try backpropagate(indices)
            optimizer.step()
            total += Double(value)
            n += 1
            progress.advance(status: String(format: "epoch %@ loss %.4f", status, total / Double(n)))
        }
        return total / Double(max(n, 1))
    }
}
