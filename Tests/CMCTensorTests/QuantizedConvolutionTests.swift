import CMCCore
import XCTest

@testable import CMCTensor

final class QuantizedConvolutionTests: XCTestCase {
    private func random(_ shape: [Int], _ range: ClosedRange<Float>, _ rng: inout SeededRNG) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &rng) })
    }

    /// Against the float convolution, on shapes that leave partial 16-wide tiles in every direction (channels,
    /// positions, output channels), with padding and strides; the AVX-512 path and the plain one agree.
    func testQuantisedConvolutionFollowsTheFloatOne() {
        var rng = SeededRNG(seed: 11)
        let cases: [(x: [Int], w: [Int], stride: (Int, Int), padding: (Int, Int))] = [
            ([2, 5, 7, 9], [19, 5, 3, 2], (1, 2), (1, 1)),
            ([1, 20, 3, 37], [32, 20, 3, 3], (1, 1), (0, 0)),
            ([3, 6, 1, 50], [33, 6, 1, 5], (1, 1), (0, 1)),
        ]
        for c in cases {
            let x = random(c.x, -2...3, &rng)
            let w = random(c.w, -0.4...0.4, &rng)
            let bias = random([c.w[0]], -1...1, &rng)
            let exact = Kernels.conv2d(x, w, bias: bias, stride: c.stride, padding: c.padding)
            let layer = QuantizedConvolution(weight: w, bias: bias, stride: c.stride, padding: c.padding)
            let plain = layer(x, vnni: false)
            XCTAssertEqual(plain.shape, exact.shape)
            let peak = exact.storage.map(abs).max()!
            var worst: Float = 0
            for (q, e) in zip(plain.storage, exact.storage) { worst = max(worst, abs(q - e)) }
            // Two roundings of ≤ 1/2 step per term over up to 180 terms: far inside 2 % of the largest output.
            XCTAssertLessThan(worst, 0.02 * peak, "\(c.x) * \(c.w): worst error \(worst), outputs up to \(peak)")
            XCTAssertGreaterThan(worst, 0, "the int8 path must differ from float32 somewhere")
            guard CPUFeatures.avx512VNNI else { continue }
            let fast = layer(x, vnni: true)
            XCTAssertEqual(fast.shape, exact.shape)
            // The same bytes and integers; only the last multiply-add is fused on AVX-512.
            for (i, (a, b)) in zip(fast.storage, plain.storage).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-5 * peak, "output \(i) of \(c.x) * \(c.w)")
            }
        }
    }

    /// The ReLU applied while dequantising is the ReLU of the unrectified output, on both paths.
    func testFusedReLUEqualsTheConvolutionThenReLU() {
        var rng = SeededRNG(seed: 12)
        let x = random([2, 20, 3, 37], -2...3, &rng)
        let w = random([32, 20, 3, 3], -0.4...0.4, &rng)
        let layer = QuantizedConvolution(weight: w, bias: random([32], -1...1, &rng), stride: (1, 1), padding: (1, 0))
        for vnni in [false, CPUFeatures.avx512VNNI] {
            let plain = layer(x, vnni: vnni)
            let fused = layer(x, relu: true, vnni: vnni)
            XCTAssertEqual(fused.shape, plain.shape)
            XCTAssertEqual(fused.storage, plain.storage.map { max($0, 0) }, "vnni \(vnni)")
            XCTAssertTrue(plain.storage.contains { $0 < 0 }, "the case must have negative outputs to rectify")
        }
    }

    /// An input held channels-last gives the bits of the permuted input's convolution, on both paths, with
    /// padding, strides and partial tiles (the skeleton encoder's joint-to-channel step is the last case).
    func testChannelsLastInputEqualsThePermutedOne() {
        var rng = SeededRNG(seed: 15)
        let cases: [(x: [Int], w: [Int], stride: (Int, Int), padding: (Int, Int))] = [
            ([2, 7, 9, 5], [19, 5, 3, 2], (1, 2), (1, 1)),
            ([1, 32, 25, 10], [32, 10, 3, 3], (1, 1), (1, 1)),
        ]
        for c in cases {
            let x = random(c.x, -2...3, &rng)
            let layer = QuantizedConvolution(
                weight: random(c.w, -0.4...0.4, &rng), bias: random([c.w[0]], -1...1, &rng), stride: c.stride,
                padding: c.padding)
            let permuted = Kernels.permute(x, [0, 3, 1, 2])
            for vnni in [false, CPUFeatures.avx512VNNI] {
                let expected = layer(permuted, relu: true, vnni: vnni)
                let got = layer(channelsLast: x, relu: true, vnni: vnni)
                XCTAssertEqual(got.shape, expected.shape)
                XCTAssertEqual(got.storage, expected.storage, "\(c.x), vnni \(vnni)")
            }
        }
    }

    /// Inference's pooling (values only) equals training's (values and winners), odd sizes included.
    func testInferencePoolingEqualsTrainingPooling() {
        var rng = SeededRNG(seed: 13)
        // Widths with every tail of the 16-output steps (odd ones drop their last column).
        for shape in [[2, 3, 7, 9], [1, 64, 50, 20], [1, 1, 2, 2], [1, 2, 5, 70], [2, 3, 4, 33], [1, 1, 3, 64]] {
            let x = random(shape, -5...5, &rng)
            let (y, _) = Kernels.maxPool2d(x, kernel: (2, 2), stride: (2, 2))
            for vnni in [false, CPUFeatures.avx512VNNI] {
                let values = Kernels.maxPool2dValues(x, kernel: (2, 2), stride: (2, 2), vnni: vnni)
                XCTAssertEqual(values.shape, y.shape)
                XCTAssertEqual(values.storage, y.storage, "\(shape), vnni \(vnni)")
            }
            let recorded = GradMode.withoutGrad { maxPool2d(Variable(x, requiresGrad: true), kernel: (2, 2)) }
            XCTAssertEqual(recorded.value.storage, y.storage)
        }
    }

    /// The AVX-512 range scan finds what the plain one finds: lengths with every tail, NaN ignored, an infinity
    /// or an all-negative tensor included.
    func testByteQuantisationRangeIsTheSameOnBothPaths() throws {
        guard CPUFeatures.avx512VNNI else { throw XCTSkip("this CPU has no AVX512-VNNI (CPUID)") }
        var rng = SeededRNG(seed: 14)
        var cases = [1, 15, 16, 17, 100, 128 * 44].map { random([$0], -3...2, &rng) }
        cases.append(random([33], -5 ... -1, &rng))
        var withNaN = random([40], -1...4, &rng)
        withNaN.storage[3] = .nan
        withNaN.storage[37] = .nan
        cases.append(withNaN)
        var withInfinity = random([20], -1...1, &rng)
        withInfinity.storage[19] = -.infinity
        cases.append(withInfinity)
        for x in cases {
            XCTAssertEqual(ByteQuantisation(x, vnni: true), ByteQuantisation(x, vnni: false), "\(x.storage.prefix(4))")
        }
        XCTAssertEqual(
            ByteQuantisation(withNaN, vnni: true).scale,
            (withNaN.storage.filter { !$0.isNaN }.max()! - withNaN.storage.filter { !$0.isNaN }.min()!) / 255)
    }

    /// A tensor that never goes negative gets all 256 steps; zero is exact in every case.
    func testByteQuantisationSpansTheRangeAndKeepsZero() {
        let relu = ByteQuantisation(Tensor(shape: [4], storage: [0, 0.5, 2, 5.1]))
        XCTAssertEqual(relu.zeroPoint, 0)
        XCTAssertEqual(relu.scale, 5.1 / 255, accuracy: 1e-7)
        let mixed = ByteQuantisation(Tensor(shape: [3], storage: [-1, 0.25, 3]))
        XCTAssertEqual(mixed.scale, 4 / 255, accuracy: 1e-7)
        XCTAssertEqual(Int(mixed.zeroPoint), Int((1 / mixed.scale).rounded()))
        let values: [Float] = [-1, 0, 0.25, 3]
        var bytes = [UInt8](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { v in
            bytes.withUnsafeMutableBufferPointer { mixed.quantise(v.baseAddress!, count: 4, into: $0.baseAddress!) }
        }
        XCTAssertEqual(bytes[1], mixed.zeroPoint, "zero must be exact: it pads convolutions")
        for (v, b) in zip(values, bytes) {
            XCTAssertEqual((Float(b) - Float(mixed.zeroPoint)) * mixed.scale, v, accuracy: mixed.scale / 2 + 1e-6)
        }
        XCTAssertEqual(ByteQuantisation(Tensor(shape: [2], storage: [0, 0])).scale, 1, "a zero tensor keeps scale 1")
    }
}
