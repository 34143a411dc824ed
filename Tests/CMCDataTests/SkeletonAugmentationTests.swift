import CMCCore
import XCTest
@testable import CMCData

final class SkeletonAugmentationTests: XCTestCase {
    /// (C=3, F=50, J=5), smooth in time, joint 0 moving so the per-frame pivot matters.
    let x: DataArray = {
        var a = DataArray(zeros: [3, 50, 5])
        for c in 0..<3 {
            for f in 0..<50 {
                for j in 0..<5 {
                    a[c, f, j] = Float(j) * Float(c + 1) * 0.3 + sin(Float(f) / 8 + Float(c)) + Float(f) * 0.01
                }
            }
        }
        return a
    }()

    func joint(_ a: DataArray, _ f: Int, _ j: Int) -> [Float] { (0..<a.shape[0]).map { a[$0, f, j] } }
    func dist(_ p: [Float], _ q: [Float]) -> Float { zip(p, q).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() }

    func testSupervisedBaselineRotatesOnlyUTDSkeletons() {
        // method.md §2.3: jitter for every dataset, the ±5° rotation for UTD-MHAD only.
        XCTAssertEqual(SkeletonAugmentations.supervised(for: .utdMHAD).rotation?.start, -5)
        XCTAssertNil(SkeletonAugmentations.supervised(for: .smartFallMM).rotation)
        XCTAssertEqual(SkeletonAugmentations.supervised(for: .smartFallMM).jittering?.sigma, 0.01)
    }

    func testProbabilityZeroIsIdentityAndSeedsReproduce() {
        var config = SkeletonAugmentations.utdMHAD
        config.jittering?.probability = 0
        config.cropAndResize?.probability = 0
        config.scaling?.probability = 0
        config.rotation?.probability = 0
        config.shear?.probability = 0
        var rng = SeededRNG(seed: 1)
        XCTAssertEqual(config.apply(x, rng: &rng), x)
        var a = SeededRNG(seed: 7)
        var b = SeededRNG(seed: 7)
        let ya = SkeletonAugmentations.utdMHAD.apply(x, rng: &a)
        XCTAssertEqual(ya, SkeletonAugmentations.utdMHAD.apply(x, rng: &b))
        XCTAssertEqual(ya.shape, x.shape)
        XCTAssertTrue(ya.isFinite)
    }

    func testRotationKeepsDistancesToThePivotJoint() throws {
        let r = try XCTUnwrap(SkeletonAugmentations.rotationMatrix(dimensions: 3, degrees: [10, -6, 4]))
        // Orthonormal with determinant +1.
        for i in 0..<3 {
            for j in 0..<3 {
                let dot = (0..<3).reduce(0.0) { $0 + r[$1][i] * r[$1][j] }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-12)
            }
        }
        let y = SkeletonAugmentations.transform(x, matrix: r, pivotJoint: 0)
        for f in stride(from: 0, to: 50, by: 7) {
            XCTAssertEqual(joint(y, f, 0), joint(x, f, 0)) // the pivot (joint 0 of each frame) stays put
            for j in 1..<5 {
                XCTAssertEqual(
                    dist(joint(y, f, j), joint(y, f, 0)), dist(joint(x, f, j), joint(x, f, 0)), accuracy: 1e-4)
            }
        }
        // Reference 3-D convention: R = Rx·Ry·Rz; check one entry. (Rx Ry Rz)[0][2] = sin(y).
        XCTAssertEqual(r[0][2], sin(-6 * Double.pi / 180), accuracy: 1e-12)
        let r2 = try XCTUnwrap(SkeletonAugmentations.rotationMatrix(dimensions: 2, degrees: [90]))
        XCTAssertEqual(r2[0][1], -1, accuracy: 1e-12)
        XCTAssertEqual(r2[1][0], 1, accuracy: 1e-12)
    }

    func testRotationAnglesComeFromTheInclusiveGrid() {
        XCTAssertEqual(
            SkeletonAugmentations.Rotation(start: -10, end: 10, step: 2, probability: 1).choices,
            [-10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10])
        XCTAssertEqual(SkeletonAugmentations.Rotation(start: -5, end: 5, step: 1, probability: 1).choices.count, 11)
    }

    func testScalingAboutThePivot() {
        let m = [[2.0, 0, 0], [0, 0.5, 0], [0, 0, 1]]
        let y = SkeletonAugmentations.transform(x, matrix: m, pivotJoint: 0)
        for f in [0, 13, 49] {
            let p = joint(x, f, 0)
            XCTAssertEqual(joint(y, f, 0), p)
            for j in 1..<5 {
                let q = joint(x, f, j)
                let r = joint(y, f, j)
                XCTAssertEqual(r[0] - p[0], 2 * (q[0] - p[0]), accuracy: 1e-5)
                XCTAssertEqual(r[1] - p[1], 0.5 * (q[1] - p[1]), accuracy: 1e-5)
                XCTAssertEqual(r[2], q[2], accuracy: 1e-5)
            }
        }
    }

    func testShearHasTheReferenceFormAndNoPivot() throws {
        let s = try XCTUnwrap(SkeletonAugmentations.shearMatrix(dimensions: 3, factors: [0.1, 0.2, 0.3]))
        XCTAssertEqual(s, [[1, 0.1, 0.1], [0.2, 1, 0.2], [0.3, 0.3, 1]])
        let y = SkeletonAugmentations.transform(x, matrix: s, pivotJoint: nil)
        let p = joint(x, 4, 2)
        let q = joint(y, 4, 2)
        XCTAssertEqual(q[0], p[0] + 0.1 * p[1] + 0.1 * p[2], accuracy: 1e-5)
        XCTAssertEqual(q[2], 0.3 * p[0] + 0.3 * p[1] + p[2], accuracy: 1e-5)
    }

    func testCropAndResize() {
        var rng = SeededRNG(seed: 4)
        let y = SkeletonAugmentations.cropAndResize(x, minFraction: 0.8, maxFraction: 0.9, rng: &rng)
        XCTAssertEqual(y.shape, x.shape)
        XCTAssertNotEqual(y, x)
        // A crop of the whole clip resamples to itself.
        let full = SkeletonAugmentations.cropAndResize(x, minFraction: 1, maxFraction: 1, rng: &rng)
        for (a, b) in zip(full.values, x.values) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testTwoDimensionalPosesAreSupported() {
        let pose2D = DataArray(shape: [2, 50, 17], values: (0..<(2 * 50 * 17)).map { Float($0 % 37) })
        var rng = SeededRNG(seed: 8)
        // Every augmentation on, as for 2-D pose datasets (MMAct's reference settings).
        let all = SkeletonAugmentations(
            jittering: .init(sigma: 0.1, probability: 1),
            cropAndResize: .init(minFraction: 0.7, maxFraction: 0.8, probability: 1),
            scaling: .init(min: 0.7, max: 1.2, probability: 1),
            rotation: .init(start: -15, end: 15, step: 2, probability: 1),
            shear: .init(beta: 0.2, probability: 1))
        let y = all.apply(pose2D, rng: &rng)
        XCTAssertEqual(y.shape, pose2D.shape)
        XCTAssertTrue(y.isFinite)
    }
}
