import Foundation

/// Fourier-domain resampling identical to `scipy.signal.resample(x, num)` for real input.
///
/// scipy: `X = rfft(x)`, keep the first `m//2 + 1` bins (`m = min(num, Nx)`), double (down-sampling)
/// or halve (up-sampling) the unpaired bin `m//2` when `m` is even, scale by `num/Nx`, `irfft(·, num)`.
/// Only those few bins are ever needed (26 for 50 outputs), so a direct DFT over them in Double is
/// both exact and cheap: O(bins · (Nx + num)) per series, with angles reduced exactly through
/// `(k·n) mod N` table lookups.
public struct FFTResampler: Sendable {
    public let inputLength: Int
    public let outputLength: Int
    private let bins: Int
    /// Per-bin factor: scipy's unpaired-bin adjustment × the `num/Nx` scale × irfft's weight
    /// (1 for DC and an even-length Nyquist bin, 2 otherwise) / num.
    private let weight: [Double]
    private let cosIn: [Double], sinIn: [Double]
    private let cosOut: [Double], sinOut: [Double]

    public init(inputLength nx: Int, outputLength num: Int) {
        precondition(nx >= 1 && num >= 1, "resampling needs ≥ 1 input and output sample (got \(nx) → \(num))")
        inputLength = nx
        outputLength = num
        let m = min(num, nx)
        bins = m / 2 + 1
        var w = [Double](repeating: 0, count: bins)
        for k in 0..<bins {
            var factor = Double(num) / Double(nx)
            if m % 2 == 0 && k == m / 2 && num != nx { factor *= num < nx ? 2 : 0.5 }
            let irfftWeight = (k == 0 || (num % 2 == 0 && k == num / 2)) ? 1.0 : 2.0
            w[k] = factor * irfftWeight / Double(num)
        }
        weight = w
        cosIn = (0..<nx).map { cos(2 * Double.pi * Double($0) / Double(nx)) }
        sinIn = (0..<nx).map { sin(2 * Double.pi * Double($0) / Double(nx)) }
        cosOut = (0..<num).map { cos(2 * Double.pi * Double($0) / Double(num)) }
        sinOut = (0..<num).map { sin(2 * Double.pi * Double($0) / Double(num)) }
    }

    /// Resamples one contiguous series (`inputLength` values) into `output` (`outputLength` values).
    public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
        precondition(x.count == inputLength && y.count == outputLength)
        if inputLength == outputLength {
            for i in 0..<inputLength { y[i] = x[i] }
            return
        }
        var re = [Double](repeating: 0, count: bins)
        var im = [Double](repeating: 0, count: bins)
        for k in 0..<bins {
            var sr = 0.0
            var si = 0.0
            var idx = 0
            for n in 0..<inputLength {
                sr += x[n] * cosIn[idx]
                si -= x[n] * sinIn[idx]
                idx += k
                if idx >= inputLength { idx -= inputLength }
            }
            re[k] = sr * weight[k]
            im[k] = si * weight[k]
        }
        // irfft ignores the imaginary part of DC and of an even-length output's Nyquist bin;
        // sin(0) = sin(π·m) = 0 makes the sum below do the same.
        for mIndex in 0..<outputLength {
            var acc = 0.0
            var idx = 0
            for k in 0..<bins {
                acc += re[k] * cosOut[idx] - im[k] * sinOut[idx]
                idx += mIndex
                if idx >= outputLength { idx -= outputLength }
            }
            y[mIndex] = acc
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
    FFTResampler(inputLength: x.count, outputLength: num).apply(x)
}

extension DataArray {
    /// `scipy.signal.resample(self, num, axis: axis)`, computed in Double and stored as Float.
    public func resampled(axis: Int, to num: Int) -> DataArray {
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        let nx = shape[axis]
        var newShape = shape
        newShape[axis] = num
        if nx == num { return self }
        let resampler = FFTResampler(inputLength: nx, outputLength: num)
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: outer * num * inner)
        var series = [Double](repeating: 0, count: nx)
        var result = [Double](repeating: 0, count: num)
        for o in 0..<outer {
            for i in 0..<inner {
                let inBase = o * nx * inner + i
                let outBase = o * num * inner + i
                for t in 0..<nx { series[t] = Double(values[inBase + t * inner]) }
                series.withUnsafeBufferPointer { xb in
                    result.withUnsafeMutableBufferPointer { resampler.apply(xb, into: $0) }
                }
                for t in 0..<num { out[outBase + t * inner] = Float(result[t]) }
            }
        }
        return DataArray(shape: newShape, values: out)
    }
}
