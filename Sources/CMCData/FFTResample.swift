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
    /// The operator, row-major: `matrix[m * inputLength + n]` is output `m`'s weight of input `n`, so each
    /// output is one contiguous dot product (vectorised explicitly: a Double sum does not reassociate).
    private let matrix: [Double]

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
        // Built as a product: per bin k, the rows cos θ_k· and sin θ_k· (table lookups) are added into
        // output m's row with weights w_k cos φ_km and w_k sin φ_km — contiguous, vectorised row updates. (It
        // used to loop over n and k outside m, writing the matrix column by column: building an operator for a
        // new action length then cost about as much as classifying the action.)
        var cosRows = [Double](repeating: 0, count: bins * nx)
        var sinRows = [Double](repeating: 0, count: bins * nx)
        for k in 0..<bins {
            var idx = 0
            for n in 0..<nx {
                cosRows[k * nx + n] = cosIn[idx]
                sinRows[k * nx + n] = sinIn[idx]
                idx += k
                if idx >= nx { idx -= nx }
            }
        }
        var t = [Double](repeating: 0, count: nx * num)
        t.withUnsafeMutableBufferPointer { out in
            cosRows.withUnsafeBufferPointer { c in
                sinRows.withUnsafeBufferPointer { s in
                    for mIndex in 0..<num {
                        let row = out.baseAddress! + mIndex * nx
                        for k in 0..<bins {
                            let phase = (k * mIndex) % num
                            let a = weight[k] * cosOut[phase]
                            let b = weight[k] * sinOut[phase]
                            let (ck, sk) = (c.baseAddress! + k * nx, s.baseAddress! + k * nx)
                            for n in 0..<nx { row[n] += a * ck[n] + b * sk[n] }
                        }
                    }
                }
            }
        }
        matrix = t
    }

    /// The resampler for one length pair, built once and shared: building one costs as much as ~50 uses.
    /// Lengths come from the wire, so the cache is bounded by `cacheBytes` and evicts the pair used longest
    /// ago. (It used to hold 32 pairs and empty itself when full: a daemon serving 150 subjects sees windows
    /// and actions of a few hundred lengths, so it emptied all the time and rebuilding was 12 % of its CPU.)
    public static func shared(inputLength nx: Int, outputLength num: Int) -> FFTResampler {
        let key = Pair(input: nx, output: num)
        if let hit = cache.withLock({ $0.use(key) }) { return hit }
        let built = FFTResampler(inputLength: nx, outputLength: num)
        cache.withLock { $0.insert(built, for: key, budget: cacheBytes) }
        return built
    }

    /// Bytes of operators `shared` keeps (each holds `nx × num` Doubles: 140 KB for a 7 s IMU action at 50 Hz
    /// resampled to 50, 70 KB for a 3.5 s window): ~100 windows' and actions' lengths.
    public static let cacheBytes = 8 << 20
    private struct Pair: Hashable {
        var input: Int
        var output: Int
    }
    /// Least-recently-used resamplers within a byte budget; eviction scans (a miss costs far more anyway).
    private struct Cache {
        var entries: [Pair: (resampler: FFTResampler, lastUse: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0

        mutating func use(_ key: Pair) -> FFTResampler? {
            guard let hit = entries[key] else { return nil }
            clock += 1
            entries[key]!.lastUse = clock
            return hit.resampler
        }

        mutating func insert(_ resampler: FFTResampler, for key: Pair, budget: Int) {
            let size = resampler.bytes
            guard entries[key] == nil, size <= budget else { return }
            while bytes + size > budget, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                bytes -= oldest.value.resampler.bytes
                entries[oldest.key] = nil
            }
            clock += 1
            entries[key] = (resampler, clock)
            bytes += size
        }
    }
    private static let cache = Locked(Cache())
    /// Pairs and bytes cached now (tests).
    static var cachedPairs: Int { cache.withLock { $0.entries.count } }
    static var cachedBytes: Int { cache.withLock { $0.bytes } }
    /// Whether `shared` holds this pair now (tests).
    static func isCached(inputLength nx: Int, outputLength num: Int) -> Bool {
        cache.withLock { $0.entries[Pair(input: nx, output: num)] != nil }
    }

    /// The operator's size in bytes.
    var bytes: Int { inputLength * outputLength * MemoryLayout<Double>.stride }

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
        let nx = inputLength
        matrix.withUnsafeBufferPointer { a in
            if series == 1 {
                for mIndex in 0..<outputLength {
                    y[mIndex] = Self.dot(a.baseAddress! + mIndex * nx, x.baseAddress!, nx)
                }
                return
            }
            // Series-major copy of the input, so every (output, series) pair is a contiguous dot product.
            withUnsafeTemporaryAllocation(of: Double.self, capacity: nx * series) { xt in
                for n in 0..<nx { for s in 0..<series { xt[s * nx + n] = x[n * series + s] } }
                for mIndex in 0..<outputLength {
                    let row = a.baseAddress! + mIndex * nx
                    for s in 0..<series { y[mIndex * series + s] = Self.dot(row, xt.baseAddress! + s * nx, nx) }
                }
            }
        }
    }

    /// Σ a[i]·b[i] over `count` Doubles, eight lanes at a time.
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= count {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Double>.self)
            let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Double>.self)
            lanes += va * vb // not addProduct: without FMA in the baseline target it becomes fma() calls
            i += 8
        }
        var sum = lanes.sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
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
