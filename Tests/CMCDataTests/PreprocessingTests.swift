import XCTest
@testable import CMCData

final class PreprocessingTests: XCTestCase {
    /// Parity with scipy.signal.resample (fixture from tools/make_resample_fixtures.py).
    func testResampleMatchesScipy() throws {
        struct Fixture: Decodable {
            struct Case: Decodable { var input: [Double], num: Int, output: [Double] }
            var cases: [Case]
        }
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "resample", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 6)
        for c in fixture.cases {
            let y = fftResample(c.input, to: c.num)
            XCTAssertEqual(y.count, c.num)
            let scale = max(c.output.map(abs).max() ?? 1, 1e-12)
            let err = zip(y, c.output).map { abs($0 - $1) }.max() ?? 0
            // Double in, Double out: scipy's float64 answer to rounding.
            XCTAssertLessThanOrEqual(err / scale, 1e-10, "\(c.input.count) → \(c.num): relative error \(err / scale)")
            // The Float path used on DataArrays must agree too.
            let arr = DataArray(shape: [1, c.input.count], values: c.input.map { Float($0) }).resampled(
                axis: 1, to: c.num)
            let errF = zip(arr.values, c.output).map { abs(Double($0) - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(errF / scale, 1e-5, "Float path \(c.input.count) → \(c.num)")
        }
    }

    /// The resampling operator is applied to many interleaved series at once (the skeleton's joints):
    /// each must come out as if resampled alone, down- and up-sampling, odd and even lengths.
    func testInterleavedSeriesMatchOneByOne() {
        var rng = SystemRandomNumberGenerator()
        for (nx, num) in [(37, 50), (66, 50), (175, 50), (50, 37), (8, 9)] {
            let series = 5
            let x = (0..<(nx * series)).map { _ in Double.random(in: -3...3, using: &rng) }
            var together = [Double](repeating: 0, count: num * series)
            let resampler = FFTResampler.shared(inputLength: nx, outputLength: num)
            x.withUnsafeBufferPointer { xb in
                together.withUnsafeMutableBufferPointer { resampler.apply(xb, into: $0, series: series) }
            }
            for s in 0..<series {
                let alone = fftResample(stride(from: s, to: x.count, by: series).map { x[$0] }, to: num)
                for m in 0..<num {
                    XCTAssertEqual(together[m * series + s], alone[m], accuracy: 1e-12, "\(nx) → \(num), series \(s)")
                }
            }
        }
    }

    /// Lengths come from the wire: the shared resamplers stay within their byte budget however many lengths
    /// arrive, the pair in constant use survives a flood of others (least recently used goes first), and a
    /// rebuilt resampler gives the same answer.
    func testSharedResamplersStayBoundedAndKeepTheOnesInUse() {
        let probe = (0..<30).map { sin(Double($0) * 0.7) }
        let before = fftResample(probe, to: 50)
        var evicted = false
        for nx in 1000..<1400 {
            _ = FFTResampler.shared(inputLength: 175, outputLength: 50) // a window length, in constant use
            _ = FFTResampler.shared(inputLength: nx, outputLength: 50)
            XCTAssertLessThanOrEqual(FFTResampler.cachedBytes, FFTResampler.cacheBytes)
            XCTAssertTrue(FFTResampler.isCached(inputLength: 175, outputLength: 50), "evicted while in use (nx \(nx))")
            evicted = evicted || !FFTResampler.isCached(inputLength: 1000, outputLength: 50)
        }
        XCTAssertTrue(evicted, "400 pairs of 400 KB must not all fit in the budget")
        XCTAssertEqual(fftResample(probe, to: 50), before)
    }

    func testResampleAlongMiddleAxisKeepsOtherAxesApart() {
        // (C=2, T=7, J=3): every (c, j) series is a different constant; resampling keeps constants.
        var a = DataArray(zeros: [2, 7, 3])
        for c in 0..<2 { for t in 0..<7 { for j in 0..<3 { a[c, t, j] = Float(10 * c + j) } } }
        let r = a.resampled(axis: 1, to: 50)
        XCTAssertEqual(r.shape, [2, 50, 3])
        for c in 0..<2 {
            for t in 0..<50 { for j in 0..<3 { XCTAssertEqual(r[c, t, j], Float(10 * c + j), accuracy: 1e-4) } }
        }
    }

    func skeleton(frames: Int = 4, joints: Int = 3) -> DataArray {
        var s = DataArray(zeros: [3, frames, joints])
        for c in 0..<3 {
            for f in 0..<frames { for j in 0..<joints { s[c, f, j] = Float(j * 2 + f) + Float(c) * 0.5 } }
        }
        return s
    }

    func testRecenterAndScale() throws {
        let s = skeleton()
        // Joint 1 − joint 2 at frame 0 differs by 2 on every axis → distance 2√3.
        let n = try SkeletonNormalization.recenterAndScale(center: 2, scaleFrom: 1, scaleTo: 2).apply(s)
        let d = Float(2 * 3.0.squareRoot())
        for c in 0..<3 {
            XCTAssertEqual(n[c, 0, 2], 0, accuracy: 1e-6) // the centre joint sits at the origin at frame 0
            for f in 0..<4 {
                for j in 0..<3 { XCTAssertEqual(n[c, f, j], (s[c, f, j] - s[c, 0, 2]) / d, accuracy: 1e-5) }
            }
        }
        XCTAssertEqual(try SkeletonNormalization.none.apply(s), s)
    }

    func testDegenerateDistanceThrowsInsteadOfNaN() {
        var s = skeleton()
        for c in 0..<3 { s[c, 0, 1] = s[c, 0, 2] } // joints 1 and 2 coincide at frame 0
        XCTAssertThrowsError(try SkeletonNormalization.utdMHAD.apply(s, sampleID: "a1_s1_t1")) { error in
            guard case DataError.degenerate(let sample, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(sample, "a1_s1_t1")
        }
        XCTAssertThrowsError(try SkeletonNormalization.recenter(center: 5).apply(s)) // joint out of range
        // Preprocessor.prepare skips and reports instead of throwing.
        let sample = Sample(id: "bad", label: 0, subject: 1, trial: 1, inertial: nil, skeleton: s, sources: [])
        let (inputs, problems) = Preprocessor.utdMHAD.prepare([sample])
        XCTAssertTrue(inputs.isEmpty)
        XCTAssertEqual(problems.map(\.kind), [.degenerate])
    }

    func testPreprocessorShapesAndLayout() throws {
        let inertial = DataArray(shape: [6, 120], values: (0..<720).map { Float($0 % 120) })
        let sample = Sample(
            id: "x", label: 3, subject: 1, trial: 2, inertial: inertial, skeleton: skeleton(frames: 61, joints: 20),
            sources: [])
        let input = try Preprocessor.utdMHAD(sample)
        XCTAssertEqual(input.inertial?.shape, [6, 50])
        XCTAssertEqual(input.skeleton?.shape, [3, 50, 20]) // (C, F, J)
        XCTAssertEqual(input.label, 3)
        XCTAssertTrue(input.inertial!.isFinite && input.skeleton!.isFinite)
        // IMU-only samples pass through with a nil skeleton.
        let imuOnly = try Preprocessor.smartFallMM(
            Sample(id: "y", label: 0, subject: 1, trial: 1, inertial: inertial, skeleton: nil, sources: []))
        XCTAssertNil(imuOnly.skeleton)
    }
}

final class SamplePlotTests: XCTestCase {
    func testSVGOfASyntheticSample() throws {
        var skeleton = DataArray(zeros: [3, 30, 20])
        for i in skeleton.values.indices { skeleton.values[i] = Float(i % 20) * 0.1 + Float(i / 600) }
        let inertial = DataArray(shape: [6, 90], values: (0..<540).map { sin(Float($0) / 7) })
        let sample = Sample(
            id: "a1_s1_t1", label: 0, subject: 1, trial: 1, inertial: inertial, skeleton: skeleton, sources: [])
        let svg = try SamplePlot.svg(sample: sample, info: UTDMHAD.info, preprocessor: .utdMHAD)
        XCTAssertTrue(svg.contains("<svg") && svg.contains("swipe_left") && svg.contains("gyro_x (deg/s)"))
        XCTAssertFalse(
            svg.contains("nan") || svg.contains("inf"),
            String(
                svg.components(separatedBy: "\n").filter { $0.contains("nan") || $0.contains("inf") }.prefix(2).joined()
            ))
        // An IMU-only sample draws no skeleton panels.
        let imuOnly = Sample(id: "x", label: 1, subject: 1, trial: 1, inertial: inertial, skeleton: nil, sources: [])
        XCTAssertFalse(
            try SamplePlot.svg(sample: imuOnly, info: UTDMHAD.info, preprocessor: .utdMHAD).contains(
                "joint trajectories"))
    }
}

final class LinearInterpolationTests: XCTestCase {
    func testBracketsHoldTheEndsAndWeighTheMiddle() {
        let b = LinearInterpolation.brackets(times: [0, 1, 3], grid: [-1, 0, 0.5, 2, 3, 4])
        XCTAssertEqual(b.map(\.lower), [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(b.map(\.upper), [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(b.map(\.weight), [0, 0, 0.5, 0.5, 1, 1])
        XCTAssertEqual(
            LinearInterpolation.brackets(times: [2], grid: [0, 5]).map(\.weight), [0, 0], "one sample: held")
    }
}
