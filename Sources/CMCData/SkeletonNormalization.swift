/// How a raw skeleton `(C, T, J)` is normalised before resampling.
public enum SkeletonNormalization: Sendable, Codable, Equatable {
    /// Coordinates pass through unchanged (the reference's MMAct setting).
    case none
    /// Subtract joint `center` of frame 0 from every joint in every frame, then divide everything
    /// by ‖joint `scaleFrom` − joint `scaleTo`‖ at frame 0 (the reference's UTD-MHAD setting:
    /// center 2 = spine, scale from 1 = shoulder_center to 2).
    case recenterAndScale(center: Int, scaleFrom: Int, scaleTo: Int)
    /// Only the recentring step.
    case recenter(center: Int)

    /// UTD-MHAD, as in the reference code (`RecenterJoints(2)`, `NormalizeDistances(1, 2)`).
    public static let utdMHAD = SkeletonNormalization.recenterAndScale(center: 2, scaleFrom: 1, scaleTo: 2)

    /// SmartFallMM (Azure Kinect layout, millimetres): recentre on the pelvis (0) and divide by the
    /// pelvis–neck (0–3) distance. The torso is the most stably tracked segment, and the result is
    /// in torso units like UTD's, so the same jitter/scale augmentation magnitudes make sense.
    public static let smartFallMM = SkeletonNormalization.recenterAndScale(center: 0, scaleFrom: 0, scaleTo: 3)

    /// Applies the normalisation. Throws `DataError.degenerate` (never returns NaN) when a joint
    /// index is out of range or the reference distance is zero or not finite.
    public func apply(_ skeleton: DataArray, sampleID: String = "skeleton") throws -> DataArray {
        guard skeleton.rank == 3, skeleton.shape[1] >= 1 else {
            throw DataError.degenerate(
                sample: sampleID, reason: "skeleton shape \(skeleton.shape) is not (C, T ≥ 1, J)")
        }
        let (C, T, J) = (skeleton.shape[0], skeleton.shape[1], skeleton.shape[2])
        func joint(_ j: Int) throws -> [Double] {
            guard j >= 0 && j < J else {
                throw DataError.degenerate(sample: sampleID, reason: "normalisation joint \(j) out of range (J = \(J))")
            }
            return (0..<C).map { Double(skeleton.values[$0 * T * J + j]) } // frame 0
        }
        var center = [Double](repeating: 0, count: C)
        var scale = 1.0
        switch self {
        case .none:
            return skeleton
        case .recenter(let c):
            center = try joint(c)
        case .recenterAndScale(let c, let a, let b):
            center = try joint(c)
            let pa = try joint(a)
            let pb = try joint(b)
            let dist = zip(pa, pb).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            guard dist.isFinite, dist > 1e-9 else {
                throw DataError.degenerate(
                    sample: sampleID,
                    reason:
                        "distance between joints \(a) and \(b) at frame 0 is \(dist): cannot normalise")
            }
            scale = dist
        }
        var out = skeleton
        for c in 0..<C {
            let offset = center[c]
            for i in c * T * J..<(c + 1) * T * J {
                out.values[i] = Float((Double(skeleton.values[i]) - offset) / scale)
            }
        }
        return out
    }
}
