import CMCCore
import CMCTestSupport
import XCTest

@testable import CMCTensor

/// The training-speed kernels against their reference definitions: the fused dropout kernels draw the
/// same masks as the per-element definition, and the vectorised batch-norm statistics match float64.
final class TrainingKernelTests: XCTestCase {
    let grad = GradientChecker(seed: 23)

    /// Element i is kept when the i-th draw satisfies `uniform() >= p` — the definition used before the
    /// kernel compared integers. Same masks, same number of draws consumed.
    func testDropoutMaskIsThePerElementDefinition() {
        for p: Float in [0.1, 0.25, 0.5, 0.9, 1e-7] {
            var rng = SeededRNG(seed: 5)
            let x = Tensor.normal([3, 1000], rng: &rng)
            var fast = SeededRNG(seed: 77)
            var reference = fast
            let (y, mask) = Kernels.dropout(x, p: p, rng: &fast)
            let scale = 1 / (1 - p)
            var dropped = 0
            for i in 0..<x.count {
                let keep = reference.uniform() >= Double(p)
                XCTAssertEqual(mask.storage[i], keep ? scale : 0, "p \(p), element \(i)")
                XCTAssertEqual(y.storage[i], x.storage[i] * (keep ? scale : 0), "p \(p), element \(i)")
                if !keep { dropped += 1 }
            }
            XCTAssertEqual(fast.next(), reference.next(), "p \(p): a different number of draws was consumed")
            XCTAssertEqual(Double(dropped) / Double(x.count), Double(p), accuracy: 0.03, "p \(p)")
        }
    }

    /// `reluDropout` is `relu()` then `dropout` with the same generator: equal outputs and gradients.
    func testFusedReluDropoutEqualsTheTwoOps() {
        let x = grad.away([7, 33])
        x.requiresGrad = true
        let cot = Tensor.normal([7, 33], rng: &grad.rng)
        let seed = SeededRNG(seed: 9)
        var r1 = seed
        let fused = x.reluDropout(p: 0.3, training: true, rng: &r1)
        fused.backward(seed: cot)
        let fusedGrad = x.grad!
        x.grad = nil
        var r2 = seed
        let twoOps = x.relu().dropout(p: 0.3, training: true, rng: &r2)
        twoOps.backward(seed: cot)
        XCTAssertEqual(fused.value.storage, twoOps.value.storage) // −0 and +0 compare equal
        XCTAssertEqual(fusedGrad.storage, x.grad!.storage)
        var r3 = seed
        XCTAssertEqual(x.reluDropout(p: 0.3, training: false, rng: &r3).value, x.relu().value, "eval mode is relu")
        grad.check("reluDropout", [x]) {
            var r = seed
            return x.reluDropout(p: 0.3, training: true, rng: &r)
        }
    }

    /// Batch statistics against a float64 computation, on runs that are not a multiple of the vector width
    /// and on values whose mean is large against their spread (where a one-pass E[x²] − m² cancels).
    func testBatchNormStatisticsMatchFloat64() {
        for (shape, offset) in [([4, 3, 5], Float(0)), ([3, 2, 19], 0), ([5, 4, 67], 300), ([64, 2, 1], 2)] {
            var rng = SeededRNG(seed: 3)
            var x = Tensor.normal(shape, rng: &rng)
            for i in 0..<x.count { x.storage[i] += offset }
            let c = shape[1]
            let (_, _, mean, variance) = Kernels.batchNorm(
                x, gamma: .ones([c]), beta: .zeros([c]), mean: nil, variance: nil, eps: 1e-5)
            let s = x.count / (shape[0] * c)
            for ch in 0..<c {
                var values: [Double] = []
                for b in 0..<shape[0] { for i in 0..<s { values.append(Double(x.storage[(b * c + ch) * s + i])) } }
                let m = values.reduce(0, +) / Double(values.count)
                let v = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)
                XCTAssertEqual(Double(mean[ch]), m, accuracy: 1e-6 * max(1, abs(m)), "\(shape) channel \(ch)")
                XCTAssertEqual(Double(variance[ch]), v, accuracy: 1e-5 * v, "\(shape) channel \(ch)")
            }
        }
        let x = grad.away([3, 2, 19])
        let g = grad.away([2])
        let b = grad.away([2])
        grad.check("batchNorm train, vector runs", [x, g, b]) {
            batchNorm(x, gamma: g, beta: b, runningMean: .zeros([2]), runningVar: .ones([2]), training: true, eps: 1e-5)
                .y
        }
    }

    func testVectorSumsMatchFloat64() {
        var rng = SeededRNG(seed: 4)
        for n in [0, 1, 7, 8, 9, 31, 1000] {
            let a = (0..<n).map { _ in Float(rng.normal()) }
            let b = (0..<n).map { _ in Float(rng.normal()) }
            let sum = a.reduce(0.0) { $0 + Double($1) }
            let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let centredDot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * (Double($1.1) - 0.25) }
            let m: Float = 0.25
            let dev = a.reduce(0.0) { $0 + (Double($1) - Double(m)) * (Double($1) - Double(m)) }
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    let p = pa.baseAddress ?? UnsafePointer(bitPattern: 16)!
                    let q = pb.baseAddress ?? UnsafePointer(bitPattern: 16)!
                    XCTAssertEqual(VectorSums.sum(p, n), sum, accuracy: 1e-5, "n \(n)")
                    XCTAssertEqual(VectorSums.squaredDeviations(p, n, mean: m), dev, accuracy: 1e-4, "n \(n)")
                    let (s, d) = VectorSums.sumAndCentredDot(p, q, n, mean: m)
                    XCTAssertEqual(s, sum, accuracy: 1e-5, "n \(n)")
                    XCTAssertEqual(d, centredDot, accuracy: 1e-4, "n \(n)")
                    XCTAssertEqual(VectorSums.dot(p, q, n), dot, accuracy: 1e-4, "n \(n)")
                }
            }
        }
    }
}

/// Convolutions over a batch run in groups of samples (`ConvGeometry.chunkSamples`); a batch of several
/// groups, the last one partial, must give what each sample gives on its own.
final class GroupedConvolutionTests: XCTestCase {
    func testGroupedConvolutionEqualsPerSampleConvolution() {
        var rng = SeededRNG(seed: 31)
        let x = Tensor.normal([5, 8, 60, 60], rng: &rng)
        let w = Tensor.normal([4, 8, 3, 3], rng: &rng)
        let bias = Tensor.normal([4], rng: &rng)
        let g = ConvGeometry(input: x.shape, weight: w.shape, stride: (1, 1), padding: (1, 0))
        XCTAssertEqual(g.chunkSamples(), 2, "the shapes are meant to make groups of 2, 2 and 1")
        let y = Kernels.conv2d(x, w, bias: bias, stride: (1, 1), padding: (1, 0))
        let dy = Tensor.normal(y.shape, rng: &rng)
        let (dx, dw, db) = Kernels.conv2dBackward(x, w, dy, stride: (1, 1), padding: (1, 0))
        var dwSum = [Double](repeating: 0, count: w.count)
        var dbSum = [Double](repeating: 0, count: 4)
        let inPlane = 8 * 60 * 60
        let outPlane = y.count / 5
        func close(_ a: Float, _ b: Float, _ what: String) {
            XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), what)
        }
        for b in 0..<5 {
            let xb = Tensor(shape: [1, 8, 60, 60], storage: Array(x.storage[(b * inPlane)..<((b + 1) * inPlane)]))
            let yb = Kernels.conv2d(xb, w, bias: bias, stride: (1, 1), padding: (1, 0))
            for i in 0..<outPlane { close(y.storage[b * outPlane + i], yb.storage[i], "y sample \(b) [\(i)]") }
            let dyb = Tensor(shape: yb.shape, storage: Array(dy.storage[(b * outPlane)..<((b + 1) * outPlane)]))
            let (dxb, dwb, dbb) = Kernels.conv2dBackward(xb, w, dyb, stride: (1, 1), padding: (1, 0))
            for i in 0..<inPlane { close(dx!.storage[b * inPlane + i], dxb!.storage[i], "dx sample \(b) [\(i)]") }
            for i in 0..<w.count { dwSum[i] += Double(dwb.storage[i]) }
            for i in 0..<4 { dbSum[i] += Double(dbb.storage[i]) }
        }
        for i in 0..<w.count { close(dw.storage[i], Float(dwSum[i]), "dw[\(i)]") }
        for i in 0..<4 { close(db.storage[i], Float(dbSum[i]), "db[\(i)]") }
        let (noDx, _, _) = Kernels.conv2dBackward(x, w, dy, stride: (1, 1), padding: (1, 0), needInput: false)
        XCTAssertNil(noDx)
    }
}
