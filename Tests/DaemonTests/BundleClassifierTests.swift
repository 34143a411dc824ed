import CMCData
import CMCModel
import CMCTensor
import XCTest
@testable import CMCStream
@testable import CMCDaemon

final class BundleClassifierTests: XCTestCase {
    /// A tiny UTD-MHAD-shaped bundle, saved and loaded back as the daemon would.
    private func loaded(_ make: () -> ModelBundle = { TinyBundle.make() }) throws -> BundleClassifier {
        let url = try temporaryDirectory(self).appendingPathComponent("tiny.safetensors")
        try make().save(to: url)
        return try BundleClassifier.load(path: url.path)
    }

    /// `seconds` of a UTD-like clip: IMU (6, n) in g and deg/s, skeleton (3, f, 20) in metres.
    private func clip(seconds: Double, imuRate: Double = 50, frameRate: Double = 20) -> (
        imu: DataArray, skeleton: DataArray
    ) {
        let n = Int(seconds * imuRate)
        let f = Int(seconds * frameRate)
        var imu = DataArray(zeros: [6, n])
        for c in 0..<6 {
            for t in 0..<n { imu[c, t] = (c == 2 ? 1 : 0) + Float(c < 3 ? 0.2 : 90) * sin(Float(t) * 0.11 + Float(c)) }
        }
        var skel = DataArray(zeros: [3, f, 20])
        for c in 0..<3 {
            for t in 0..<f {
                for j in 0..<20 {
                    skel[c, t, j] =
                        Float(c == 1 ? 1.6 - 0.08 * Double(j) : 0.05 * Double(j % 5)) + 0.02
                        * sin(Float(t) * 0.3 + Float(j))
                }
            }
        }
        return (imu, skel)
    }

    /// The clip as the pipeline would hand it over: canonical units, times in (0, W].
    private func window(_ clip: (imu: DataArray, skeleton: DataArray), seconds: Double, imuTimes: [Double]? = nil)
        -> Window
    {
        let n = clip.imu.shape[1]
        let f = clip.skeleton.shape[1]
        var imu = clip.imu.values
        for c in 0..<6 { for t in 0..<n { imu[c * n + t] *= c < 3 ? 9.80665 : Float.pi / 180 } }
        let times = { (count: Int) in (0..<count).map { seconds * Double($0 + 1) / Double(count) } }
        return Window(
            subject: 1, start: 0, end: Int64(seconds * 1e9),
            inertial: ModalityWindow(channels: 6, joints: 0, count: n, times: imuTimes ?? times(n), values: imu),
            skeleton: ModalityWindow(channels: 3, joints: 20, count: f, times: times(f), values: clip.skeleton.values),
            readyAt: 0)
    }

    func testSpecComesFromTheBundleMetadata() throws {
        let c = try loaded()
        XCTAssertEqual(c.spec.classNames, UTDMHAD.classNames)
        XCTAssertEqual(c.spec.windowSeconds, 1.0)
        XCTAssertEqual(c.spec.inertialChannels, 6)
        XCTAssertEqual(
            c.spec.inertialUnits,
            [
                .metresPerSecondSquared, .metresPerSecondSquared, .metresPerSecondSquared,
                .radiansPerSecond, .radiansPerSecond, .radiansPerSecond,
            ])
        XCTAssertEqual(c.spec.skeletonCoordinates, 3)
        XCTAssertEqual(c.spec.skeletonJoints, 20)
        XCTAssertTrue(c.spec.inertialOnly && c.spec.skeletonOnly)
        XCTAssertEqual(c.inertialFactors[0], 1 / 9.80665, accuracy: 1e-7)
        XCTAssertEqual(c.inertialFactors[3], 180 / Float.pi, accuracy: 1e-4)
        XCTAssertEqual(c.skeletonFactor, 1)
    }

    func testCanonicalUnitsAreConvertedBackToTrainingUnits() throws {
        let c = try loaded()
        let raw = clip(seconds: 1)
        let arrays = try c.arrays(for: window(raw, seconds: 1))
        let imu = try XCTUnwrap(arrays.inertial)
        XCTAssertEqual(imu.shape, raw.imu.shape)
        for (a, b) in zip(imu.values, raw.imu.values) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
        XCTAssertEqual(arrays.skeleton, raw.skeleton, "a model trained in metres gets metres")
        // So the window's decision is exactly the decision on the raw clip.
        let direct = try c.recognizer.recognize(inertial: raw.imu, skeleton: raw.skeleton).probabilities
        let streamed = try c.classify(window(raw, seconds: 1)).probabilities
        for (a, b) in zip(direct, streamed) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testSkeletonMillimetreModelsGetMillimetres() throws {
        let c = try loaded { TinyBundle.make(info: SmartFallMM.info()) }
        XCTAssertEqual(c.skeletonFactor, 1000)
        XCTAssertEqual(c.spec.skeletonJoints, 32)
        XCTAssertEqual(c.spec.inertialUnits?.first, .metresPerSecondSquared)
        XCTAssertEqual(c.inertialFactors, Array(repeating: 1, count: 6), "SmartFallMM trained on m/s² and rad/s")
        let values = (0..<(3 * 4 * 32)).map { Float($0) * 0.001 }
        let w = Window(
            subject: 1, start: 0, end: 1_000_000_000, inertial: nil,
            skeleton: ModalityWindow(channels: 3, joints: 32, count: 4, times: [0.25, 0.5, 0.75, 1], values: values),
            readyAt: 0)
        let skeleton = try XCTUnwrap(try c.arrays(for: w).skeleton)
        for (a, b) in zip(skeleton.values, values) { XCTAssertEqual(a, b * 1000, accuracy: 1e-3) }
    }

    func testIrregularSamplesAreInterpolatedOntoTheNominalGrid() throws {
        let c = try loaded()
        // A ramp sampled with jitter and a dropped stretch: interpolation must reproduce the ramp.
        var times: [Double] = []
        var t = 0.0
        var rng = SystemRandomNumberGenerator()
        while t < 0.98 {
            t += Double.random(in: 0.012...0.028, using: &rng)
            if !(0.4...0.5).contains(t) { times.append(min(t, 1)) }
        }
        if times.last! < 1 { times.append(1) }
        let n = times.count
        var imu = DataArray(zeros: [6, n])
        for ch in 0..<6 { for k in 0..<n { imu[ch, k] = Float(times[k] * 10) + Float(ch) } }
        let regular = clip(seconds: 1)
        let arrays = try c.arrays(for: window((imu, regular.skeleton), seconds: 1, imuTimes: times))
        let out = try XCTUnwrap(arrays.inertial)
        XCTAssertEqual(out.shape, [6, 50], "50 Hz nominal over 1 s")
        for k in 0..<50 {
            let at = Double(k + 1) / 50
            let expected = Float(min(max(at, times[0]), 1) * 10) * (ch0Scale(c))
            XCTAssertEqual(out[0, k], expected, accuracy: 1e-3, "sample \(k)")
        }
        // Regular windows pass through untouched.
        XCTAssertEqual(try c.arrays(for: window(regular, seconds: 1)).inertial?.shape, [6, 50])
        XCTAssertEqual(try c.arrays(for: window(clip(seconds: 1, imuRate: 37), seconds: 1)).inertial?.shape, [6, 37])
    }

    /// Channel 0 arrives in m/s² (×9.80665 in the helper) and leaves in g.
    private func ch0Scale(_ c: BundleClassifier) -> Float { 9.80665 * c.inertialFactors[0] }

    func testBatchMatchesSingleCallsAndIsolatesABadWindow() throws {
        let c = try loaded()
        let good = (0..<4).map { i in window(clip(seconds: 1 + 0.1 * Double(i)), seconds: 1 + 0.1 * Double(i)) }
        var degenerate = good[0]
        degenerate.skeleton!.values = Array(repeating: 0.5, count: degenerate.skeleton!.values.count) // joints coincide
        var imuOnly = good[1]
        imuOnly.skeleton = nil
        let batch = c.classify(batch: good + [degenerate, imuOnly])
        for (w, r) in zip(good, batch) {
            let single = try c.classify(w).probabilities
            for (a, b) in zip(try r.get().probabilities, single) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
        XCTAssertThrowsError(try batch[4].get(), "normalisation refuses coinciding joints")
        XCTAssertEqual(try batch[5].get().probabilities.count, 27, "unimodal fallback")
    }

    /// fused+skeleton: each window's probabilities are the normalised geometric mean of what the fused head
    /// and the skeleton-only head say about it alone; windows with one modality are unchanged.
    func testFusedAndSkeletonHeadsAreTheGeometricMeanOfBoth() throws {
        let bundle = TinyBundle.make()
        var fused = Recognizer(bundle: bundle)
        fused.heads = .fused
        var both = Recognizer(bundle: bundle)
        both.heads = .fusedAndSkeleton
        let clips = (0..<4).map { i in clip(seconds: 1 + 0.3 * Double(i)) }
        let windows = clips.map { ($0.imu, $0.skeleton) as (inertial: DataArray?, skeleton: DataArray?) }
        let pf = try fused.recognize(batch: windows)
        let ps = try fused.recognize(batch: clips.map { (nil, $0.skeleton) })
        let pb = try both.recognize(batch: windows)
        var differs = false
        for k in clips.indices {
            let product = zip(pf[k].probabilities, ps[k].probabilities).map { ($0 * $1).squareRoot() }
            let sum = product.reduce(0, +)
            XCTAssertEqual(pb[k].modalities, .both)
            for (got, want) in zip(pb[k].probabilities, product.map { $0 / sum }) {
                XCTAssertEqual(got, want, accuracy: 1e-5)
            }
            differs = differs || pb[k].probabilities != pf[k].probabilities
        }
        XCTAssertTrue(differs, "the skeleton head must change something")
        XCTAssertEqual(
            try both.recognize(batch: clips.map { ($0.imu, nil) }).map(\.probabilities),
            try fused.recognize(batch: clips.map { ($0.imu, nil) }).map(\.probabilities), "inertial-only windows")
    }

    /// The same bundle in int8: every window's probabilities close to float32's and the same label; refused
    /// with the reason on a CPU without AVX512-VNNI.
    func testInt8ClassifiesLikeFloat32() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("tiny.safetensors")
        try TinyBundle.make().save(to: url)
        guard CPUFeatures.avx512VNNI else {
            XCTAssertThrowsError(try BundleClassifier.load(path: url.path, precision: .int8)) {
                XCTAssertTrue("\($0)".contains("AVX512-VNNI"), "\($0)")
            }
            return
        }
        let float32 = try BundleClassifier.load(path: url.path)
        let reduced = try BundleClassifier.load(path: url.path, precision: .int8)
        XCTAssertEqual(reduced.recognizer.precision, .int8)
        let windows = (0..<6).map { i in window(clip(seconds: 1 + 0.15 * Double(i)), seconds: 1 + 0.15 * Double(i)) }
        var differs = false
        for (a, b) in zip(float32.classify(batch: windows), reduced.classify(batch: windows)) {
            let (pa, pb) = (try a.get().probabilities, try b.get().probabilities)
            for (x, y) in zip(pa, pb) { XCTAssertEqual(x, y, accuracy: 0.02) }
            differs = differs || pa != pb
            XCTAssertEqual(pa.indices.max { pa[$0] < pa[$1] }, pb.indices.max { pb[$0] < pb[$1] })
        }
        XCTAssertTrue(differs, "int8 must take its own path")
    }

    func testBrokenFilesAreRefusedWithTheProblemNamed() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertThrowsError(try BundleClassifier.load(path: dir.appendingPathComponent("missing.safetensors").path)) {
            XCTAssertTrue("\($0)".contains("file not found"), "\($0)")
        }
        let junk = dir.appendingPathComponent("junk.safetensors")
        try Data("definitely not a model".utf8).write(to: junk)
        XCTAssertThrowsError(try BundleClassifier.load(path: junk.path)) {
            XCTAssertTrue("\($0)".contains("junk.safetensors"), "\($0)")
        }
    }

    func testUnitNamesAndGrid() {
        XCTAssertEqual(ModelUnit("g")?.wire, .standardGravity)
        XCTAssertEqual(ModelUnit("m/s^2")?.wire, .metresPerSecondSquared)
        XCTAssertEqual(ModelUnit("deg/s")?.canonical, .radiansPerSecond)
        XCTAssertEqual(ModelUnit("MM")?.fromCanonical, 1000)
        XCTAssertNil(ModelUnit("furlong/fortnight"))
        XCTAssertTrue(WindowGrid.isRegular([0.02, 0.04, 0.06, 0.08]))
        XCTAssertFalse(WindowGrid.isRegular([0.02, 0.04, 0.08, 0.10]))
        XCTAssertEqual(WindowGrid.grid(seconds: 1, count: 4), [0.25, 0.5, 0.75, 1])
        // (C=1, T=2, J=2) → 3 grid points, held outside the sampled span.
        let out = WindowGrid.interpolate(
            [0, 10, 1, 11], channels: 1, inner: 2, times: [0.2, 0.4], onto: [0.1, 0.3, 0.5])
        XCTAssertEqual(out, [0, 10, 0.5, 10.5, 1, 11])
    }
}
