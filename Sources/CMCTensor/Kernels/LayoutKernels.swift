/// Layout kernels: permute, concatenate, slice and pad. Each materialises a contiguous result.
extension Kernels {
    /// Output dimension i takes input dimension `perm[i]` (as `torch.permute`).
    public static func permute(_ x: Tensor, _ perm: [Int]) -> Tensor {
        precondition(perm.sorted() == Array(0..<x.rank), "bad permutation \(perm) for shape \(x.shape)")
        if perm == Array(0..<x.rank) { return x }
        let outShape = perm.map { x.shape[$0] }
        let inStrides = x.strides
        let st = perm.map { inStrides[$0] }
        let n = x.count
        if n == 0 { return Tensor(shape: outShape, storage: []) }
        let r = outShape.count
        let inner = outShape[r - 1]
        let innerStride = st[r - 1]
        var index = [Int](repeating: 0, count: r - 1)
        let out = [Float](unsafeUninitializedCapacity: n) { po, count in
            count = n
            x.storage.withUnsafeBufferPointer { px in
                var o = 0
                while o < n {
                    var base = 0
                    for d in 0..<(r - 1) { base += index[d] * st[d] }
                    for j in 0..<inner { po[o + j] = px[base + j * innerStride] }
                    o += inner
                    var d = r - 2
                    while d >= 0 {
                        index[d] += 1
                        if index[d] < outShape[d] { break }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
        return Tensor(shape: outShape, storage: out)
    }

    /// The inverse of a permutation.
    public static func inverse(_ perm: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inv[p] = i }
        return inv
    }

    /// Concatenates along `axis`; all other dimensions must agree.
    public static func concat(_ xs: [Tensor], axis a: Int) -> Tensor {
        precondition(!xs.isEmpty, "concat of nothing")
        let axis = xs[0].axis(a)
        var shape = xs[0].shape
        for x in xs.dropFirst() {
            precondition(x.rank == shape.count, "concat rank mismatch")
            for d in 0..<shape.count where d != axis {
                precondition(x.shape[d] == shape[d], "concat shape mismatch \(x.shape) vs \(xs[0].shape) on axis \(d)")
            }
        }
        shape[axis] = xs.reduce(0) { $0 + $1.shape[axis] }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: shape.reduce(1, *))
        let rowOut = shape[axis] * inner
        var offset = 0
        out.withUnsafeMutableBufferPointer { po in
            for x in xs {
                let rowIn = x.shape[axis] * inner
                x.storage.withUnsafeBufferPointer { px in
                    for o in 0..<outer {
                        let dst = o * rowOut + offset
                        let src = o * rowIn
                        for i in 0..<rowIn { po[dst + i] = px[src + i] }
                    }
                }
                offset += rowIn
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// `x[..., start..<end, ...]` along `axis`.
    public static func slice(_ x: Tensor, axis a: Int, range: Range<Int>) -> Tensor {
        let axis = x.axis(a)
        precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[axis], "slice \(range) out of \(x.shape)")
        let (outer, n, inner) = split(x.shape, axis)
        let len = range.count
        var out = [Float](repeating: 0, count: outer * len * inner)
        x.storage.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for o in 0..<outer {
                    let src = (o * n + range.lowerBound) * inner
                    let dst = o * len * inner
                    for i in 0..<(len * inner) { po[dst + i] = px[src + i] }
                }
            }
        }
        var shape = x.shape
        shape[axis] = len
        return Tensor(shape: shape, storage: out)
    }

    /// Writes `src` into `dst` at `range` along `axis` (the adjoint of `slice`), adding to what is there.
    static func sliceAccumulate(_ dst: inout Tensor, _ src: Tensor, axis: Int, start: Int) {
        let (outer, n, inner) = split(dst.shape, axis)
        let len = src.shape[axis]
        src.storage.withUnsafeBufferPointer { ps in
            dst.storage.withUnsafeMutableBufferPointer { pd in
                for o in 0..<outer {
                    let d = (o * n + start) * inner
                    let s = o * len * inner
                    for i in 0..<(len * inner) { pd[d + i] += ps[s + i] }
                }
            }
        }
    }

    /// Pads `axis` with `before` and `after` copies of `value`.
    public static func pad(_ x: Tensor, axis a: Int, before: Int, after: Int, value: Float = 0) -> Tensor {
        let axis = x.axis(a)
        var shape = x.shape
        shape[axis] += before + after
        var out = Tensor(shape: shape, repeating: value)
        let (outer, n, inner) = split(x.shape, axis)
        let m = shape[axis]
        x.storage.withUnsafeBufferPointer { px in
            out.storage.withUnsafeMutableBufferPointer { po in
                for o in 0..<outer {
                    let src = o * n * inner
                    let dst = (o * m + before) * inner
                    for i in 0..<(n * inner) { po[dst + i] = px[src + i] }
                }
            }
        }
        return out
    }
}
