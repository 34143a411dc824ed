/// Reductions over axes. A tensor is viewed as (outer, n, inner) around the reduced axis, which keeps
/// every loop contiguous; several axes are reduced one at a time.
extension Kernels {
    @inline(__always)
    static func split(_ shape: [Int], _ axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Sum over one axis.
    public static func sum(_ x: Tensor, axis a: Int, keepDims: Bool = false) -> Tensor {
        let axis = x.axis(a)
        let (outer, n, inner) = split(x.shape, axis)
        var out = [Float](repeating: 0, count: outer * inner)
        x.storage.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for o in 0..<outer {
                    let dst = o * inner
                    for k in 0..<n {
                        let src = (o * n + k) * inner
                        for i in 0..<inner { po[dst + i] += px[src + i] }
                    }
                }
            }
        }
        var shape = x.shape
        if keepDims { shape[axis] = 1 } else { shape.remove(at: axis) }
        return Tensor(shape: shape, storage: out)
    }

    /// Sum over several axes.
    public static func sum(_ x: Tensor, axes: [Int], keepDims: Bool = false) -> Tensor {
        let resolved = Set(axes.map { x.axis($0) }).sorted(by: >)
        var y = x
        for a in resolved { y = sum(y, axis: a, keepDims: true) }
        if !keepDims {
            let shape = x.shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
            y = y.reshaped(shape)
        }
        return y
    }

    /// Maximum over one axis, with the index of the winner (first one on ties) for the backward pass.
    public static func max(_ x: Tensor, axis a: Int, keepDims: Bool = false) -> (values: Tensor, indices: [Int]) {
        let axis = x.axis(a)
        let (outer, n, inner) = split(x.shape, axis)
        precondition(n > 0, "max over an empty axis")
        var out = [Float](repeating: -.infinity, count: outer * inner)
        var idx = [Int](repeating: 0, count: outer * inner)
        x.storage.withUnsafeBufferPointer { px in
            for o in 0..<outer {
                for k in 0..<n {
                    let src = (o * n + k) * inner
                    for i in 0..<inner where px[src + i] > out[o * inner + i] {
                        out[o * inner + i] = px[src + i]
                        idx[o * inner + i] = k
                    }
                }
            }
        }
        var shape = x.shape
        if keepDims { shape[axis] = 1 } else { shape.remove(at: axis) }
        return (Tensor(shape: shape, storage: out), idx)
    }

    /// Index of the maximum along the last axis, per row.
    public static func argmax(_ x: Tensor) -> [Int] {
        max(x, axis: -1).indices
    }

    /// Indices of the k largest values along the last axis, per row, largest first.
    public static func topK(_ x: Tensor, k: Int) -> [[Int]] {
        let n = x.shape.last ?? 1
        precondition(k <= n, "top-\(k) of \(n) values")
        let rows = x.count / Swift.max(n, 1)
        return (0..<rows).map { r in
            let row = x.storage[(r * n)..<((r + 1) * n)]
            return Array(
                row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
                    .prefix(k).map { $0 - r * n })
        }
    }
}
