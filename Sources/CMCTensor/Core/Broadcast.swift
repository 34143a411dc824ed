/// NumPy-style broadcasting rules, shared by the elementwise kernels and their gradients.
public enum Broadcast {
    /// The broadcast shape of two shapes, or nil when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides of `shape` viewed inside `target` (0 where broadcast), for indexing a broadcast operand.
    static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        let r = target.count
        let off = r - shape.count
        let own = Tensor.strides(of: shape)
        var s = [Int](repeating: 0, count: r)
        for i in 0..<shape.count where shape[i] != 1 { s[i + off] = own[i] }
        return s
    }
}

extension Tensor {
    /// Sums a gradient of broadcast shape back down to `target` shape (the adjoint of broadcasting).
    public func reduced(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let r = shape.count
        let off = r - target.count
        var axes: [Int] = []
        for i in 0..<r {
            let t = i < off ? 1 : target[i - off]
            if t == 1 && shape[i] != 1 { axes.append(i) }
        }
        let summed = axes.isEmpty ? self : Kernels.sum(self, axes: axes, keepDims: true)
        return summed.reshaped(target)
    }
}
