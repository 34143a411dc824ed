/// The float ↔ byte loops around the int8 product, written once. They are plain Swift: inlined into a
/// caller built for the baseline x86-64 they run 4 lanes wide; called through `VNNIKernel` they run in
/// this module, built for AVX-512, 16 lanes wide (on a CPU the caller has checked).
public enum ByteConversions {
    /// `target[k]` = `source[k] · inverseScale + zeroPoint` to the nearest integer, half to even, clamped
    /// to 0…255. Rounded by adding and removing 1.5 · 2^23 (exact below 2^22 in magnitude), which
    /// vectorises where `rounded()` is a call.
    @inlinable @inline(__always)
    public static func quantise(
        _ source: UnsafePointer<Float>, count: Int, inverseScale: Float, zeroPoint: Float,
        into target: UnsafeMutablePointer<UInt8>
    ) {
        let magic: Float = 12_582_912
        for k in 0..<count {
            let v = max(-1, min(256, source[k] * inverseScale + zeroPoint))
            target[k] = UInt8(max(0, min(255, (v + magic) - magic)))
        }
    }

    /// (B, C, H, W) floats quantised into a zero-padded channels-last image: `target[b][h + padH][w + padW][c]`,
    /// of `height + 2 padH` rows of `width + 2 padW` positions; the border is not written.
    @inlinable @inline(__always)
    public static func quantiseChannelsLast(
        _ source: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int, padH: Int, padW: Int,
        inverseScale: Float, zeroPoint: Float, into target: UnsafeMutablePointer<UInt8>
    ) {
        let (paddedH, paddedW) = (height + 2 * padH, width + 2 * padW)
        var row = [UInt8](repeating: 0, count: width)
        row.withUnsafeMutableBufferPointer { bytes in
            for b in 0..<batch {
                for c in 0..<channels {
                    for h in 0..<height {
                        quantise(
                            source + ((b * channels + c) * height + h) * width, count: width,
                            inverseScale: inverseScale, zeroPoint: zeroPoint, into: bytes.baseAddress!)
                        let to = target + ((b * paddedH + h + padH) * paddedW + padW) * channels + c
                        for w in 0..<width { to[w * channels] = bytes[w] }
                    }
                }
            }
        }
    }

    /// `out[r][o] = max(Float(product[r][o]) · factor[o] + constant[o], floor)` for `rows` rows of `columns`
    /// results, `outputs` of them kept; `out` row-major. With `spatial`, rows are (sample, position) pairs and
    /// `out` is channels-first instead: `out[sample][o][position]`. A floor of 0 is the ReLU that follows most
    /// layers, applied while the value is in a register rather than in a pass of its own; −∞ keeps every value.
    @inlinable @inline(__always)
    public static func dequantise(
        _ product: UnsafePointer<Int32>, rows: Int, columns: Int, outputs: Int, factor: UnsafePointer<Float>,
        constant: UnsafePointer<Float>, spatial: Int?, floor: Float = -.infinity, into out: UnsafeMutablePointer<Float>
    ) {
        guard let spatial else {
            for r in 0..<rows {
                let (from, to) = (product + r * columns, out + r * outputs)
                for o in 0..<outputs { to[o] = max(Float(from[o]) * factor[o] + constant[o], floor) }
            }
            return
        }
        // In 8 × 8 tiles: the transposed reads and writes stay within a few cache lines.
        let tile = 8
        for b in 0..<(rows / max(1, spatial)) {
            let from = product + b * spatial * columns
            let to = out + b * outputs * spatial
            for s0 in stride(from: 0, to: spatial, by: tile) {
                let end = min(s0 + tile, spatial)
                for o0 in stride(from: 0, to: outputs, by: tile) {
                    for o in o0..<min(o0 + tile, outputs) {
                        let (f, k) = (factor[o], constant[o])
                        for s in s0..<end { to[o * spatial + s] = max(Float(from[s * columns + o]) * f + k, floor) }
                    }
                }
            }
        }
    }
}
