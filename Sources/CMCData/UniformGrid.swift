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
        var times = [Double]()
        var values = [Double]()
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

    /// Linear interpolation onto `grid` (ascending, within `start...end`), returning `(channels, grid.count)`
    /// channel-major values.
    func interpolate(onto grid: [Double]) -> [Float] {
        var out = [Float](repeating: 0, count: channels * grid.count)
        for (g, b) in LinearInterpolation.brackets(times: times, grid: grid).enumerated() {
            for c in 0..<channels {
                let lo = values[b.lower * channels + c]
                let hi = values[b.upper * channels + c]
                out[c * grid.count + g] = Float(lo + (hi - lo) * b.weight)
            }
        }
        return out
    }
}

/// The outcome of `mergeOntoUniformGrid`.
struct MergedSeries {
    /// `(Σ channels, T)` channel-major, sensors stacked in the given order.
    var array: DataArray
    /// The kept stretch, in the series' time base (seconds).
    var start: Double, end: Double
    /// The span where all sensors have data, before cutting at gaps.
    var commonStart: Double, commonEnd: Double
    /// Full lengths of the gaps longer than `maxGap` that touch the common span (any sensor), largest first.
    var cutGaps: [Double]
}

/// Merges sensors onto one uniform time grid at `rate` Hz by linear interpolation, over the span
/// where all of them have data. Gaps longer than `maxGap` in any sensor cut that span into pieces
/// and only the longest piece is kept: interpolating across a recording pause would otherwise
/// turn minutes of nothing into a straight ramp that dominates the resampled clip.
/// Throws `DataError.degenerate` when the sensors do not overlap or the kept piece has fewer
/// than `minSamples` grid points.
func mergeOntoUniformGrid(
    _ series: [TimedSeries], rate: Double, maxGap: Double = .infinity,
    minSamples: Int = 2, sampleID: String
) throws -> MergedSeries {
    guard !series.isEmpty, series.allSatisfy({ $0.count >= 2 }) else {
        throw DataError.degenerate(sample: sampleID, reason: "a sensor has fewer than 2 samples")
    }
    let lo = series.map(\.start).max()!
    let hi = series.map(\.end).min()!
    guard hi > lo else {
        let t0 = series[0].start
        let spans = series.map { "\(fixed($0.start - t0, 2))…\(fixed($0.end - t0, 2)) s" }.joined(separator: " vs ")
        throw DataError.degenerate(sample: sampleID, reason: "sensors do not overlap in time (\(spans))")
    }
    // Gaps as (from, to) intervals inside [lo, hi], merged across sensors.
    var cuts = [(Double, Double)]()
    var gaps = [Double]()
    for s in series {
        for k in 1..<s.count where s.times[k] - s.times[k - 1] > maxGap && s.times[k] > lo && s.times[k - 1] < hi {
            cuts.append((max(s.times[k - 1], lo), min(s.times[k], hi)))
            gaps.append(s.times[k] - s.times[k - 1])
        }
    }
    cuts.sort { $0.0 < $1.0 }
    var pieces = [(Double, Double)]()
    var cursor = lo
    for (from, to) in cuts {
        if from > cursor { pieces.append((cursor, from)) }
        cursor = max(cursor, to)
    }
    if hi > cursor { pieces.append((cursor, hi)) }
    guard let best = pieces.max(by: { $0.1 - $0.0 < $1.1 - $1.0 }) else {
        throw DataError.degenerate(sample: sampleID, reason: "no gap-free stretch where all sensors have data")
    }
    // A millisample of slack absorbs timestamp rounding (absolute epoch seconds carry ~1e-7 s error).
    let n = Int(((best.1 - best.0) * rate + 1e-3).rounded(.down)) + 1
    guard n >= minSamples else {
        throw DataError.degenerate(
            sample: sampleID,
            reason:
                "longest stretch where all sensors have gap-free data is \(fixed(best.1 - best.0, 2)) s (\(n) samples at \(fixed(rate, 0)) Hz, need \(minSamples))"
        )
    }
    let grid = (0..<n).map { best.0 + Double($0) / rate }
    var values = [Float]()
    var channels = 0
    for s in series {
        values.append(contentsOf: s.interpolate(onto: grid))
        channels += s.channels
    }
    return MergedSeries(
        array: DataArray(shape: [channels, n], values: values), start: best.0, end: best.1,
        commonStart: lo, commonEnd: hi, cutGaps: gaps.sorted(by: >))
}
