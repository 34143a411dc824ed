import CMCData
import CMCStream

/// Puts a window's samples on a uniform time grid when the sensor did not deliver them that way.
///
/// Training clips are uniformly sampled and `Recognizer` FFT-resamples them as such: FFT resampling
/// assumes equal spacing. Live streams may jitter or drop samples, so an irregular window is first
/// linearly interpolated onto an even grid at the modality's nominal rate; a regular one is passed
/// through untouched (its own rate does not matter, resampling to the model's length absorbs it).
enum WindowGrid {
    /// Whether every interval between consecutive samples lies within `tolerance` (relative) of the
    /// median interval: then the samples are treated as uniformly spaced.
    static func isRegular(_ times: [Double], tolerance: Double = 0.25) -> Bool {
        guard times.count > 2 else { return true }
        var intervals = [Double](repeating: 0, count: times.count - 1)
        for i in intervals.indices { intervals[i] = times[i + 1] - times[i] }
        let median = intervals.sorted()[intervals.count / 2]
        guard median > 0 else { return false }
        return intervals.allSatisfy { abs($0 - median) <= tolerance * median }
    }

    /// `count` instants evenly spaced over the window `(0, seconds]`, the last one at its end, like the
    /// samples of a steady sensor whose newest sample closes the window.
    static func grid(seconds: Double, count: Int) -> [Double] {
        (0..<count).map { seconds * Double($0 + 1) / Double(count) }
    }

    /// Linear interpolation of values laid out `(C, T, inner)` row-major (inner = 1 for IMU, J for
    /// skeletons), sampled at increasing `times`, onto `grid`. Outside the sampled span the nearest
    /// sample is held. Returns `(C, grid.count, inner)`.
    static func interpolate(_ values: [Float], channels: Int, inner: Int, times: [Double], onto grid: [Double])
        -> [Float]
    {
        let t = times.count
        let n = grid.count
        precondition(
            t >= 1 && values.count == channels * t * inner,
            "interpolate: \(values.count) values for (\(channels), \(t), \(inner))")
        var out = [Float](repeating: 0, count: channels * n * inner)
        for (g, b) in LinearInterpolation.brackets(times: times, grid: grid).enumerated() {
            let w = Float(b.weight)
            for c in 0..<channels {
                let lo = (c * t + b.lower) * inner
                let hi = (c * t + b.upper) * inner
                let o = (c * n + g) * inner
                for i in 0..<inner { out[o + i] = values[lo + i] + (values[hi + i] - values[lo + i]) * w }
            }
        }
        return out
    }
}
