import CMCCore
import Foundation

/// Fourier-domain resampling identical to `scipy.signal.resample(x, num)` for real input.
///
/// scipy: `X = rfft(x)`, keep the first `m//2 + 1` bins (`m = min(num, Nx)`), double (down-sampling)
/// or halve (up-sampling) the unpaired bin `m//2` when `m` is even, scale by `num/Nx`, `irfft(·, num)`.
/// Every step is linear in `x`, so the whole chain is one real `num × Nx` matrix, computed once per
/// length pair in Double (angles reduced exactly through `(k·n) mod N` table lookups) and applied as a
/// matrix product. The product vectorises where the per-bin DFT it replaced (O(bins · (Nx + num)) per
/// series, one scalar chain per bin) did not: that DFT was 10 % of the daemon's CPU at 200 subjects.
public struct FFTResampler: Sendable {
    public let inputLength: Int
    public let outputLength: Int
    /// The operator, transposed: `transposed[n * outputLength + m]` is output `m`'s weight of input `n`,
    /// so accumulating one input sample into every output is a contiguous (vectorised) loop.
    private let transposed: [Double]

    public init(inputLength nx: Int, outputLength num: Int) {
        precondition(nx >= 1 && num >= 1, "resampling needs ≥ 1 input and output sample (got \(nx) → \(num))")
        inputLength = nx
        outputLength = num
        let m = min(num, nx)
        let bins = m / 2 + 1
        // Per-bin factor: scipy's unpaired-bin adjustment × the `num/Nx` scale × irfft's weight
        // (1 for DC and an even-length Nyquist bin, 2 otherwise) / num.
        let weight = (0..<bins).map { k -> Double in
            var factor = Double(num) / Double(nx)
            if m % 2 == 0 && k == m / 2 && num != nx { factor *= num < nx ? 2 : 0.5 }
            let irfftWeight = (k == 0 || (num % 2 == 0 && k == num / 2)) ? 1.0 : 2.0
            return factor * irfftWeight / Double(num)
        }
        let cosIn = (0..<nx).map { cos(2 * Double.pi * Double($0) / Double(nx)) }
        let sinIn = (0..<nx).map { sin(2 * Double.pi * Double($0) / Double(nx)) }
        let cosOut = (0..<num).map { cos(2 * Double.pi * Double($0) / Double(num)) }
        let sinOut = (0..<num).map { sin(2 * Double.pi * Double($0) / Double(num)) }
        // y_m = Σ_k w_k (Re X_k cos φ_km − Im X_k sin φ_km), X_k = Σ_n x_n (cos θ_kn − i sin θ_kn):
        // the weight of x_n in y_m is Σ_k w_k (cos θ_kn cos φ_km + sin θ_kn sin φ_km). irfft ignores the
        // imaginary part of DC and of an even-length output's Nyquist bin; sin φ = 0 there does the same.
        var t = [Double](repeating: 0, count: nx * num)
        for n in 0..<nx {
            for k in 0..<bins {
                let a = weight[k] * cosIn[(k * n) % nx]
                let b = weight[k] * sinIn[(k * n) % nx]
                var idx = 0
                for mIndex in 0..<num {
                    t[n * num + mIndex] += a * cosOut[idx] + b * sinOut[idx]
                    idx += k
                    if idx >= num { idx -= num }
                }
            }
        }
        transposed = t
    }

    /// The resampler for one length pair, built once and shared: windows and crops come in a handful of
    /// lengths, and building one costs as much as ~50 uses. At most `cacheLimit` pairs are kept (lengths
    /// come from the wire): a full cache is emptied, so a flood of odd lengths only costs rebuilding.
    public static func shared(inputLength nx: Int, outputLength num: Int) -> FFTResampler {
        let key = Pair(input: nx, output: num)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let built = FFTResampler(inputLength: nx, outputLength: num)
        cache.withLock {
            if $0.count >= cacheLimit { $0.removeAll(keepingCapacity: true) }
            $0[key] = built
        }
        return built
    }

    /// Pairs kept by `shared` (each holds `nx × num` Doubles: 152 KB for a 7.6 s IMU action at 50 Hz).
    public static let cacheLimit = 32
    private struct Pair: Hashable {
        var input: Int
        var output: Int
    }
    private static let cache = Locked([Pair: FFTResampler]())
    /// Pairs cached now (tests).
    static var cachedPairs: Int { cache.withLock { $0.count } }

    /// Resamples `series` interleaved series at once: input sample `n` of series `s` is
    /// `x[n * series + s]`, output sample `m` goes to `y[m * series + s]`.
    public func apply(
        _ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>, series: Int = 1
    ) {
        precondition(series >= 1 && x.count == inputLength * series && y.count == outputLength * series)
        if inputLength == outputLength {
            for i in 0..<x.count { y[i] = x[i] }
            return
        }
        for i in 0..<y.count { y[i] = 0 }
        transposed.withUnsafeBufferPointer { t in
            if series == 1 {
                for n in 0..<inputLength {
                    let xn = x[n]
                    let row = n * outputLength
                    for mIndex in 0..<outputLength { y[mIndex] += xn * t[row + mIndex] }
                }
            } else {
                for mIndex in 0..<outputLength {
                    let out = mIndex * series
                    for n in 0..<inputLength {
                        let a = t[n * outputLength + mIndex]
                        let inp = n * series
                        for s in 0..<series { y[out + s] += a * x[inp + s] }
                    }
                }
            }
        }
    }

    /// Convenience for one series held in an array.
    public func apply(_ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: outputLength)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { apply(xb, into: $0) } }
        return y
    }
}

/// `scipy.signal.resample(x, num)` of one real sequence.
public func fftResample(_ x: [Double], to num: Int) -> [Double] {
    FFTResampler.shared(inputLength: x.count, outputLength: num).apply(x)
}

extension DataArray {
    /// `scipy.signal.resample(self, num, axis: axis)`, computed in Double and stored as Float.
    public func resampled(axis: Int, to num: Int) -> DataArray {
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        let nx = shape[axis]
        var newShape = shape
        newShape[axis] = num
        if nx == num { return self }
        let resampler = FFTResampler.shared(inputLength: nx, outputLength: num)
        let outer = shape[..<axis].reduce(1, *)
        // The axes after `axis` are contiguous series resampled together.
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: outer * num * inner)
        var block = [Double](repeating: 0, count: nx * inner)
        var result = [Double](repeating: 0, count: num * inner)
        for o in 0..<outer {
            let inBase = o * nx * inner
            for t in 0..<block.count { block[t] = Double(values[inBase + t]) }
            block.withUnsafeBufferPointer { xb in
                result.withUnsafeMutableBufferPointer { resampler.apply(xb, into: $0, series: inner) }
            }
            let outBase = o * num * inner
            for t in 0..<result.count { out[outBase + t] = Float(result[t]) }
        }
        return DataArray(shape: newShape, values: out)
    }
}
