import CMCCore
import CMCTestSupport
import XCTest

@testable import CMCTensor

/// Unpadded stride-1 convolutions take the row-unfolded path (`ConvGeometry.unfoldsKernelRows`); it must
/// give the convolution's definition, computed here in float64 — forward, weight, bias and input gradients,
/// over several sample groups (the last one partial) and kernels of several shapes.
final class KernelRowConvolutionTests: XCTestCase {
    /// y, dx, dw, db by direct summation in Double.
    private func reference(_ x: Tensor, _ w: Tensor, _ bias: Tensor, _ dy: Tensor) -> (Tensor, Tensor, Tensor, Tensor) {
        let (b, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let (oh, ow) = (h - kh + 1, wd - kw + 1)
        var y = [Double](repeating: 0, count: b * o * oh * ow)
        var dx = [Double](repeating: 0, count: x.count)
        var dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: o)
        for bi in 0..<b {
            for oc in 0..<o {
                for yy in 0..<oh {
                    for xx in 0..<ow {
                        let out = ((bi * o + oc) * oh + yy) * ow + xx
                        let g = Double(dy.storage[out])
                        var s = Double(bias.storage[oc])
                        db[oc] += g
                        for ci in 0..<c {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let xi = ((bi * c + ci) * h + yy + i) * wd + xx + j
                                    let wi = ((oc * c + ci) * kh + i) * kw + j
                                    s += Double(w.storage[wi]) * Double(x.storage[xi])
                                    dx[xi] += Double(w.storage[wi]) * g
                                    dw[wi] += Double(x.storage[xi]) * g
                                }
                            }
                        }
                        y[out] = s
                    }
                }
            }
        }
        func t(_ shape: [Int], _ v: [Double]) -> Tensor { Tensor(shape: shape, storage: v.map { Float($0) }) }
        return (t([b, o, oh, ow], y), t(x.shape, dx), t(w.shape, dw), t([o], db))
    }

    func testMatchesTheDefinition() {
        var rng = SeededRNG(seed: 43)
        for (input, kernel, groups) in [
            ([5, 8, 90, 90], (3, 3), [2, 2, 1]), ([3, 4, 7, 30], (3, 3), [3]), ([4, 3, 6, 25], (2, 3), [4]),
            ([2, 5, 9, 12], (1, 2), [2]), ([3, 6, 10, 7], (3, 1), [3]),
        ] {
            let what = "\(input) * \(kernel)"
            let x = Tensor.normal(input, rng: &rng)
            let w = Tensor.normal([6, input[1], kernel.0, kernel.1], rng: &rng)
            let bias = Tensor.normal([6], rng: &rng)
            let g = ConvGeometry(input: x.shape, weight: w.shape, stride: (1, 1), padding: (0, 0))
            XCTAssertTrue(g.unfoldsKernelRows, "\(what) should take the row-unfolded path")
            let n = g.rowChunkSamples()
            XCTAssertEqual(
                Array(Swift.stride(from: 0, to: input[0], by: n)).map { min(n, input[0] - $0) }, groups, what)
            let y = Kernels.conv2d(x, w, bias: bias, stride: (1, 1), padding: (0, 0))
            let dy = Tensor.normal(y.shape, rng: &rng)
            let (dx, dw, db) = Kernels.conv2dBackward(x, w, dy, stride: (1, 1), padding: (0, 0))
            let (ry, rdx, rdw, rdb) = reference(x, w, bias, dy)
            assertClose(y, ry, rtol: 1e-5, "\(what): output")
            assertClose(dx!, rdx, rtol: 1e-5, "\(what): input gradient")
            assertClose(dw, rdw, rtol: 1e-5, "\(what): weight gradient")
            assertClose(db, rdb, rtol: 1e-5, "\(what): bias gradient")
            let (noDx, dw2, _) = Kernels.conv2dBackward(x, w, dy, stride: (1, 1), padding: (0, 0), needInput: false)
            XCTAssertNil(noDx)
            XCTAssertEqual(dw2.storage, dw.storage, "\(what): weight gradient without the input's")
        }
    }

    /// Where computing over the full width would cost more than 15 % extra, the im2col path stays.
    func testNarrowOutputsKeepIm2col() {
        let narrow = ConvGeometry(input: [4, 64, 12, 10], weight: [128, 64, 3, 3], stride: (1, 1), padding: (0, 0))
        XCTAssertFalse(narrow.unfoldsKernelRows)
        let padded = ConvGeometry(input: [4, 8, 40, 40], weight: [8, 8, 3, 3], stride: (1, 1), padding: (1, 1))
        XCTAssertFalse(padded.unfoldsKernelRows)
    }
}
