import CMCCore

extension Kernels {
    /// Inverted dropout of `x` (of `relu(x)` when `relu`): returns the output and the mask (0 or 1/(1−p)
    /// per element; with `relu` also 0 where x ≤ 0, so the mask alone is the gradient of both).
    ///
    /// Element i is kept when the i-th uniform draw u = (next() >> 11)·2⁻⁵³ satisfies u ≥ p — the
    /// definition the masks have always used, so a seed gives the same masks. The comparison is done on
    /// the integer: u ≥ p ⇔ next() >> 11 ≥ ⌈p·2⁵³⌉ (both sides exact in Double), on draws taken in blocks.
    public static func dropout(_ x: Tensor, p: Float, relu: Bool = false, rng: inout SeededRNG) -> (
        y: Tensor, mask: Tensor
    ) {
        let scale = 1 / (1 - p)
        let threshold = UInt64((Double(p) * 0x1.0p53).rounded(.up))
        let n = x.count
        var y = [Float].uninitialized(n)
        var mask = [Float].uninitialized(n)
        let block = 1024
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: block) { draws in
            x.storage.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    mask.withUnsafeMutableBufferPointer { pm in
                        var start = 0
                        while start < n {
                            let count = Swift.min(block, n - start)
                            rng.fill(UnsafeMutableBufferPointer(rebasing: draws[0..<count]))
                            if relu {
                                for j in 0..<count {
                                    let v = px[start + j]
                                    let m: Float = draws[j] >> 11 >= threshold && v > 0 ? scale : 0
                                    pm[start + j] = m
                                    py[start + j] = v * m
                                }
                            } else {
                                for j in 0..<count {
                                    let m: Float = draws[j] >> 11 >= threshold ? scale : 0
                                    pm[start + j] = m
                                    py[start + j] = px[start + j] * m
                                }
                            }
                            start += count
                        }
                    }
                }
            }
        }
        return (Tensor(shape: x.shape, storage: y), Tensor(shape: x.shape, storage: mask))
    }
}
