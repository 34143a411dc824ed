/// Piecewise-linear resampling of irregular samples onto a grid: where each grid instant falls
/// between two samples. One definition for the dataset readers (merging a watch's sensors) and the
/// daemon (live windows with jitter or drops); each applies the weights to its own layout.
public enum LinearInterpolation {
    public struct Bracket: Sendable, Equatable {
        /// The samples before and after the instant (equal at the ends of the sampled span).
        public var lower: Int, upper: Int
        /// Weight of `upper`: value = lower + (upper − lower) · weight. Outside the sampled span the
        /// nearest sample is held (weight clamped to [0, 1]).
        public var weight: Double
    }

    /// Brackets for every instant of `grid` (ascending) in `times` (strictly increasing, non-empty).
    public static func brackets(times: [Double], grid: [Double]) -> [Bracket] {
        precondition(!times.isEmpty, "interpolation needs at least one sample")
        var k = 0
        return grid.map { t in
            while k + 1 < times.count - 1 && times[k + 1] < t { k += 1 }
            let k1 = min(k + 1, times.count - 1)
            let span = times[k1] - times[k]
            return Bracket(lower: k, upper: k1, weight: span > 0 ? min(max((t - times[k]) / span, 0), 1) : 0)
        }
    }
}
