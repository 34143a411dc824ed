import CMCCore
import CMCData
import CMCModel
import CMCStream
import CMCStreamTraining
import CMCTensor
import Foundation
import XCTest

/// Temperature scaling and the unknown threshold: fitted from held-out logits, stored in the bundle,
/// applied by the recognizer and the daemon's decisions.
final class CalibrationTests: XCTestCase {
    /// Labels drawn from softmax(z); a head that reports 3·z is over-confident by exactly T = 3.
    func testTheFittedTemperatureUndoesAKnownOverconfidence() {
        var rng = SeededRNG(seed: 5)
        let rows = 4000
        let classes = 6
        var logits = Tensor(shape: [rows, classes])
        var labels: [Int] = []
        for row in 0..<rows {
            let z = (0..<classes).map { _ in Float(rng.normal()) * 1.5 }
            let e = z.map { exp(Double($0)) }
            let sum = e.reduce(0, +)
            var u = rng.uniform(0, 1) * sum
            var label = classes - 1
            for (i, p) in e.enumerated() {
                u -= p
                if u <= 0 {
                    label = i
                    break
                }
            }
            labels.append(label)
            for c in 0..<classes { logits.storage[row * classes + c] = 3 * z[c] }
        }
        let t = Calibrator.temperature(logits: logits, labels: labels)
        XCTAssertEqual(t, 3, accuracy: 0.25)
        let before = Calibrator.nll(logits: logits, labels: labels, temperature: 1)
        let after = Calibrator.nll(logits: logits, labels: labels, temperature: t)
        XCTAssertLessThan(after, before)
        XCTAssertLessThan(
            Calibrator.expectedCalibrationError(logits: logits, labels: labels, temperature: t),
            Calibrator.expectedCalibrationError(logits: logits, labels: labels, temperature: 1))
    }

    /// Ten idle windows (class 2 is idle); four are taken for an action with probability 0.92, 0.72, 0.52
    /// and 0.32. At most 20 % may pass: the threshold must stop the two weakest above it — 0.55.
    func testTheUnknownThresholdMeetsTheIdleTarget() {
        let classes = 3
        let idle = 2
        var rows: [[Float]] = Array(repeating: [0, 0, 5], count: 6)
        for p in [0.92, 0.72, 0.52, 0.32] {
            // logits giving class 0 probability p, the rest shared.
            let rest = (1 - p) / 2
            rows.append([Float(log(p)), Float(log(rest)), Float(log(rest))])
        }
        let logits = Tensor(shape: [rows.count, classes], storage: rows.flatMap { $0 })
        let labels = Array(repeating: idle, count: rows.count)
        XCTAssertEqual(
            Calibrator.unknownThreshold(logits: logits, labels: labels, idle: idle, temperature: 1, target: 0.2),
            0.55, accuracy: 1e-9, "two of ten may pass: 0.92 and 0.72 reach 0.55, 0.52 is stopped")
        XCTAssertEqual(
            Calibrator.unknownThreshold(logits: logits, labels: labels, idle: idle, temperature: 1, target: 0.4),
            0.05, accuracy: 1e-9, "all four may pass")
    }

    /// The pooled calibration sets the unknown threshold on what is served. Ten idle windows: the multimodal head
    /// takes four of them for action 0 (p 0.9), the skeleton head is sure of idle throughout. Served alone, the
    /// fused head needs a threshold above its false confidence; beside the skeleton head (the geometric mean the
    /// daemon serves by default) no idle window is published as an action, and the lowest threshold suffices.
    func testTheUnknownThresholdIsFittedOnTheServedHeads() {
        let idle = 2
        let fusedRows: [[Float]] =
            Array(repeating: [-3, -3, 3], count: 6)
            + Array(repeating: [Float(log(0.9)), Float(log(0.05)), Float(log(0.05))], count: 4)
        let skeletonRows: [[Float]] = Array(repeating: [0, 0, 6], count: 10)
        let heldOut = Calibrator.HeldOut(
            logits: [
                .both: Tensor(shape: [10, 3], storage: fusedRows.flatMap { $0 }),
                .skeleton: Tensor(shape: [10, 3], storage: skeletonRows.flatMap { $0 }),
            ],
            labels: Array(repeating: idle, count: 10))
        let fused = StreamHeadExperiment.calibration(
            pooling: [heldOut], target: 0.2, idleIndex: idle, method: "test", heads: .fused)
        let served = StreamHeadExperiment.calibration(
            pooling: [heldOut], target: 0.2, idleIndex: idle, method: "test", heads: .fusedAndSkeleton)
        XCTAssertEqual(fused.temperatures, served.temperatures, "temperatures are per head, whatever is served")
        XCTAssertGreaterThan(try XCTUnwrap(fused.unknownThreshold), 0.3)
        XCTAssertEqual(try XCTUnwrap(served.unknownThreshold), 0.05, accuracy: 1e-9)
        XCTAssertTrue(served.method.contains("fused+skeleton"), served.method)
    }

    /// The daemon's threshold: the operator's, else the model's, else the default.
    func testTheOperatorsThresholdWinsOverTheModels() {
        XCTAssertEqual(SmoothingPolicy().unknownThreshold(model: nil), SmoothingPolicy.defaultUnknownThreshold)
        XCTAssertEqual(SmoothingPolicy().unknownThreshold(model: 0.35), 0.35)
        XCTAssertEqual(SmoothingPolicy(unknownThreshold: 0.2).unknownThreshold(model: 0.35), 0.2)
    }

    /// A bundle's temperature softens its probabilities without changing its answer; absurd values are refused.
    func testTheRecognizerAppliesTheBundlesTemperature() throws {
        let bundle = TinyBundle.make(windowSeconds: 1)
        var meta = bundle.metadata
        meta.calibration = Calibration(temperatures: ["both": 4], unknownThreshold: 0.3, method: "test")
        let calibrated = bundle.replacingMetadata(meta)
        var rng = SeededRNG(seed: 3)
        let channels = meta.inertialEncoder.inChannels
        let joints = meta.skeletonEncoder.joints
        let inertial = DataArray(shape: [channels, 40], values: (0..<(channels * 40)).map { _ in Float(rng.normal()) })
        let skeleton = DataArray(shape: [3, 20, joints], values: (0..<(60 * joints)).map { _ in Float(rng.normal()) })
        // The fused head alone: the temperature of "both" is that head's.
        func fused(_ b: ModelBundle) -> Recognizer {
            var r = Recognizer(bundle: b)
            r.heads = .fused
            return r
        }
        let plain = try fused(bundle).recognize(inertial: inertial, skeleton: skeleton)
        let soft = try fused(calibrated).recognize(inertial: inertial, skeleton: skeleton)
        XCTAssertEqual(plain.label, soft.label)
        XCTAssertLessThan(soft.probabilities.max()!, plain.probabilities.max()!)
        // softmax(z / 4) from softmax(z): p^(1/4), renormalised.
        let expected = plain.probabilities.map { pow(Double($0), 0.25) }
        let sum = expected.reduce(0, +)
        for (a, e) in zip(soft.probabilities, expected) { XCTAssertEqual(Double(a), e / sum, accuracy: 1e-4) }

        meta.calibration = Calibration(temperatures: ["both": 0], unknownThreshold: nil, method: "test")
        XCTAssert(meta.problems().contains { $0.contains("temperature 0.0 of both") }, "\(meta.problems())")
        meta.calibration = Calibration(temperatures: ["fused": 1], unknownThreshold: 2, method: "test")
        XCTAssert(meta.problems().contains { $0.contains("unknown head \"fused\"") })
        XCTAssert(meta.problems().contains { $0.contains("unknown threshold 2.0") })
    }
}
