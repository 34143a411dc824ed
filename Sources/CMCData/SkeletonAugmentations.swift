import CMCCore
import Foundation

/// Random skeleton augmentations on a preprocessed `(C, F, J)` array (method.md §2.2), each applied
/// with its own probability, in the reference order:
/// jittering → crop-and-resize → scaling → rotation → shear. nil = disabled.
///
/// Scaling and rotation pivot on `pivotJoint` of each frame; the reference ignores its
/// `anchor_joint` setting and always uses joint 0, hence the default.
public struct SkeletonAugmentations: Sendable, Codable, Equatable {
    public struct Jittering: Sendable, Codable, Equatable {
        public var sigma: Double, probability: Double
        public init(sigma: Double, probability: Double) {
            self.sigma = sigma
            self.probability = probability
        }
    }
    public struct CropAndResize: Sendable, Codable, Equatable {
        /// Crop length = `Int(U(minFraction, maxFraction) · F)`, then FFT-resampled back to F.
        public var minFraction: Double, maxFraction: Double, probability: Double
        public init(minFraction: Double, maxFraction: Double, probability: Double) {
            self.minFraction = minFraction
            self.maxFraction = maxFraction
            self.probability = probability
        }
    }
    public struct Scaling: Sendable, Codable, Equatable {
        /// One factor per coordinate axis from `U(min, max)`.
        public var min: Double, max: Double, probability: Double
        public init(min: Double, max: Double, probability: Double) {
            self.min = min
            self.max = max
            self.probability = probability
        }
    }
    public struct Rotation: Sendable, Codable, Equatable {
        /// Angles (degrees) drawn from `stride(from: start, through: end, by: step)`, independently
        /// per axis in 3-D (R = Rx·Ry·Rz), one angle in 2-D.
        public var start: Int, end: Int, step: Int, probability: Double
        public init(start: Int, end: Int, step: Int, probability: Double) {
            self.start = start
            self.end = end
            self.step = step
            self.probability = probability
        }
        var choices: [Int] { Array(stride(from: start, through: end, by: Swift.max(step, 1))) }
    }
    public struct Shear: Sendable, Codable, Equatable {
        /// Shear factors `N(0, β²)`.
        public var beta: Double, probability: Double
        public init(beta: Double, probability: Double) {
            self.beta = beta
            self.probability = probability
        }
    }

    public var pivotJoint: Int
    public var jittering: Jittering?
    public var cropAndResize: CropAndResize?
    public var scaling: Scaling?
    public var rotation: Rotation?
    public var shear: Shear?

    public init(
        pivotJoint: Int = 0, jittering: Jittering? = nil, cropAndResize: CropAndResize? = nil,
        scaling: Scaling? = nil, rotation: Rotation? = nil, shear: Shear? = nil
    ) {
        self.pivotJoint = pivotJoint
        self.jittering = jittering
        self.cropAndResize = cropAndResize
        self.scaling = scaling
        self.rotation = rotation
        self.shear = shear
    }

    public static let none = SkeletonAugmentations()
    /// `skeleton_augmentations/augmentations_utd.yaml` (3-D).
    public static let utdMHAD = SkeletonAugmentations(
        jittering: Jittering(sigma: 0.1, probability: 1),
        cropAndResize: CropAndResize(minFraction: 0.8, maxFraction: 0.9, probability: 0.75),
        scaling: Scaling(min: 0.7, max: 1.2, probability: 0.75),
        rotation: Rotation(start: -10, end: 10, step: 2, probability: 0.75),
        shear: Shear(beta: 0.2, probability: 0.75))
    /// SmartFallMM skeletons are 3-D and normalised to torso units like UTD's: same setting.
    public static let smartFallMM = utdMHAD
    /// Supervised UTD skeleton baseline (§2.3): jitter σ 0.01 and rotation ±5° step 1, always applied.
    /// (Its raw-clip crop is `TemporalCrop.supervisedSkeleton`.)
    public static let supervisedUTD = SkeletonAugmentations(
        jittering: Jittering(sigma: 0.01, probability: 1),
        rotation: Rotation(start: -5, end: 5, step: 1, probability: 1))
    /// The supervised baseline on other datasets (§2.3: the rotation is UTD's only): jitter σ 0.01.
    public static let supervisedOther = SkeletonAugmentations(jittering: Jittering(sigma: 0.01, probability: 1))

    /// The supervised baseline's skeleton augmentations for a dataset (§2.3).
    public static func supervised(for dataset: DatasetKind) -> SkeletonAugmentations {
        dataset == .utdMHAD ? supervisedUTD : supervisedOther
    }

    /// Applies the enabled augmentations to `x` of shape `(C, F, J)`.
    public func apply(_ x: DataArray, rng: inout SeededRNG) -> DataArray {
        precondition(x.rank == 3, "skeleton augmentations expect (C, F, J), got \(x.shape)")
        var y = x
        if let a = jittering, rng.bernoulli(a.probability) {
            y = InertialAugmentations.jitter(y, sigma: a.sigma, rng: &rng)
        }
        if let a = cropAndResize, rng.bernoulli(a.probability) {
            y = Self.cropAndResize(y, minFraction: a.minFraction, maxFraction: a.maxFraction, rng: &rng)
        }
        if let a = scaling, rng.bernoulli(a.probability) {
            let dims = y.shape[0]
            let factors = (0..<dims).map { _ in rng.uniform(a.min, a.max) }
            var m = [[Double]](repeating: [Double](repeating: 0, count: dims), count: dims)
            for d in 0..<dims { m[d][d] = factors[d] }
            y = Self.transform(y, matrix: m, pivotJoint: pivotJoint)
        }
        if let a = rotation, rng.bernoulli(a.probability) {
            let choices = a.choices
            let angles = (0..<(y.shape[0] == 2 ? 1 : 3)).map { _ in Double(choices[rng.int(in: 0..<choices.count)]) }
            if let r = Self.rotationMatrix(dimensions: y.shape[0], degrees: angles) {
                y = Self.transform(y, matrix: r, pivotJoint: pivotJoint)
            }
        }
        if let a = shear, rng.bernoulli(a.probability) {
            let dims = y.shape[0]
            let s = (0..<dims).map { _ in rng.normal(mean: 0, std: a.beta) }
            if let m = Self.shearMatrix(dimensions: dims, factors: s) {
                y = Self.transform(y, matrix: m, pivotJoint: nil)
            }
        }
        return y
    }

    // MARK: - The individual operations

    /// Random contiguous crop of `Int(U(min, max) · F)` frames, FFT-resampled back to F frames.
    public static func cropAndResize(_ x: DataArray, minFraction: Double, maxFraction: Double, rng: inout SeededRNG)
        -> DataArray
    {
        let frames = x.shape[1]
        let length = Swift.max(1, Swift.min(frames, Int(rng.uniform(minFraction, maxFraction) * Double(frames))))
        let start = rng.int(in: 0..<(frames - length + 1))
        return x.slice(axis: 1, start: start, length: length).resampled(axis: 1, to: frames)
    }

    /// `p + M (x − p)` for every joint of every frame, where p is `pivotJoint` of that frame
    /// (or the origin when nil). `matrix` is C × C.
    public static func transform(_ x: DataArray, matrix: [[Double]], pivotJoint: Int?) -> DataArray {
        let (C, F, J) = (x.shape[0], x.shape[1], x.shape[2])
        precondition(matrix.count == C && matrix.allSatisfy { $0.count == C }, "matrix must be \(C)×\(C)")
        if let pivotJoint {
            precondition(pivotJoint >= 0 && pivotJoint < J, "pivot joint \(pivotJoint) out of range (J = \(J))")
        }
        var y = x
        var point = [Double](repeating: 0, count: C)
        var pivot = [Double](repeating: 0, count: C)
        for f in 0..<F {
            for c in 0..<C { pivot[c] = pivotJoint.map { Double(x.values[(c * F + f) * J + $0]) } ?? 0 }
            for j in 0..<J {
                for c in 0..<C { point[c] = Double(x.values[(c * F + f) * J + j]) - pivot[c] }
                for r in 0..<C {
                    var acc = pivot[r]
                    for c in 0..<C { acc += matrix[r][c] * point[c] }
                    y.values[(r * F + f) * J + j] = Float(acc)
                }
            }
        }
        return y
    }

    /// 2-D: `[[c, −s], [s, c]]`; 3-D: `Rx·Ry·Rz` from three angles (degrees). nil for other C.
    public static func rotationMatrix(dimensions: Int, degrees: [Double]) -> [[Double]]? {
        let rad = degrees.map { $0 * Double.pi / 180 }
        if dimensions == 2 {
            let (c, s) = (cos(rad[0]), sin(rad[0]))
            return [[c, -s], [s, c]]
        }
        guard dimensions == 3, rad.count == 3 else { return nil }
        let (cx, sx, cy, sy, cz, sz) = (cos(rad[0]), sin(rad[0]), cos(rad[1]), sin(rad[1]), cos(rad[2]), sin(rad[2]))
        let rx = [[1, 0, 0], [0, cx, -sx], [0, sx, cx]]
        let ry = [[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]
        let rz = [[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]]
        return multiply(multiply(rx, ry), rz)
    }

    /// 2-D: `[[1, shx], [shy, 1]]`; 3-D: `[[1, shx, shx], [shy, 1, shy], [shz, shz, 1]]` (reference form).
    public static func shearMatrix(dimensions: Int, factors: [Double]) -> [[Double]]? {
        switch dimensions {
        case 2: return [[1, factors[0]], [factors[1], 1]]
        case 3: return [[1, factors[0], factors[0]], [factors[1], 1, factors[1]], [factors[2], factors[2], 1]]
        default: return nil
        }
    }

    static func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        (0..<a.count).map { r in (0..<b[0].count).map { c in (0..<b.count).reduce(0) { $0 + a[r][$1] * b[$1][c] } } }
    }
}
