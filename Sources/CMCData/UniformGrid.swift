/// Timestamped multichannel samples from one sensor, cleaned for interpolation.
struct TimedSeries {
    /// Strictly increasing seconds.
    var times: [Double]
    /// `times.count × channels`, row-major.
    var values: [Double]
    var channels: Int
    /// How many rows were out of order in the file (they are sorted into place).
    var outOfOrder = 0
    /// How many rows shared a timestamp with another row (merged by averaging).
    var duplicates = 0

    var count: Int { times.count }
    var start: Double { times.first ?? 0 }
    var end: Double { times.last ?? 0 }

    /// Sorts by time (stable) and averages rows with equal timestamps: phone/watch sensor APIs
    /// deliver batches with repeated or slightly reordered millisecond stamps.
    init(times rawTimes: [Double], values rawValues: [Double], channels: Int) {
        self.channels = channels
        var order = Array(rawTimes.indices)
        for i in 1..<max(rawTimes.count, 1) where rawTimes[i] < rawTimes[i - 1] { outOfOrder += 1 }
        if outOfOrder > 0 {
            order.sort { (rawTimes[$0], $0) < (rawTimes[$1], $1) }
        }
        var times = [Double](), values = [Double]()
        times.reserveCapacity(rawTimes.count)
        values.reserveCapacity(rawValues.count)
        var i = 0
        while i < order.count {
            let t = rawTimes[order[i]]
            var j = i
            var sum = [Double](repeating: 0, count: channels)
            while j < order.count && rawTimes[order[j]] == t {
                for c in 0..<channels { sum[c] += rawValues[order[j] * channels + c] }
                j += 1
            }
            duplicates += j - i - 1
            times.append(t)
            values.append(contentsOf: sum.map { $0 / Double(j - i) })
            i = j
        }
        self.times = times
        self.values = values
    }

    /// Largest interval between consecutive samples inside `[from, to]`, and where it starts.
    func largestGap(from: Double, to: Double) -> (gap: Double, at: Double) {
        var best = (gap: 0.0, at: from)
        for k in 1..<max(times.count, 1) where times[k] > from && times[k - 1] < to {
            let g = min(times[k], to) - max(times[k - 1], from)
            if g > best.gap { best = (g, max(times[k - 1], from)) }
        }
        return best
    }

    /// Linear interpolation onto `grid` (ascending, within `start...end`), returning `(channels, grid.count)`
    /// channel-major values.
    func interpolate(onto grid: [Double]) -> [Float] {
        var out = [Float](repeating: 0, count: channels * grid.count)
        var k = 0
        for (g, t) in grid.enumerated() {
            while k + 1 < times.count - 1 && times[k + 1] < t { k += 1 }
            let k1 = min(k + 1, times.count - 1)
            let span = times[k1] - times[k]
            let w = span > 0 ? min(max((t - times[k]) / span, 0), 1) : 0
            for c in 0..<channels {
                let a = values[k * channels + c], b = values[k1 * channels + c]
                out[c * grid.count + g] = Float(a + (b - a) * w)
            }
        }
        return out
    }
}

/// Merges sensors onto one uniform time grid at `rate` Hz over the span where all of them have
/// data, by linear interpolation. Returns nil when that span holds fewer than `minSamples` points.
/// Output: `(Σ channels, T)` channel-major, sensors stacked in the given order.
func mergeOntoUniformGrid(_ series: [TimedSeries], rate: Double, minSamples: Int = 2) -> (array: DataArray, start: Double, end: Double)? {
    guard !series.isEmpty, series.allSatisfy({ $0.count >= 2 }) else { return nil }
    let lo = series.map(\.start).max()!, hi = series.map(\.end).min()!
    guard hi > lo else { return nil }
    let n = Int(((hi - lo) * rate).rounded(.down)) + 1
    guard n >= minSamples else { return nil }
    let grid = (0..<n).map { lo + Double($0) / rate }
    var values = [Float]()
    var channels = 0
    for s in series {
        values.append(contentsOf: s.interpolate(onto: grid))
        channels += s.channels
    }
    return (DataArray(shape: [channels, n], values: values), lo, hi)
}
