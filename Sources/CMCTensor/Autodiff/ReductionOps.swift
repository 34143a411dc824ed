extension Variable {
    /// Sum over `axes` (all axes when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let shape = self.shape
        let axes = axes ?? Array(0..<shape.count)
        let y = Kernels.sum(value, axes: axes, keepDims: keepDims)
        let kept = shape.enumerated().map { axes.map { value.axis($0) }.contains($0.offset) ? 1 : $0.element }
        return Variable.make(y, [self]) { g in [Kernels.add(Tensor(shape: shape), g.reshaped(kept))] }
    }

    /// Mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let axes = axes ?? Array(0..<shape.count)
        let n = axes.map { shape[value.axis($0)] }.reduce(1, *)
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Maximum over one axis; the gradient goes to the (first) arg-max.
    public func max(axis a: Int, keepDims: Bool = false) -> Variable {
        let shape = self.shape
        let axis = value.axis(a)
        let (y, idx) = Kernels.max(value, axis: axis, keepDims: keepDims)
        return Variable.make(y, [self]) { g in
            let (outer, n, inner) = Kernels.split(shape, axis)
            var dx = Tensor(shape: shape)
            for o in 0..<outer {
                for i in 0..<inner {
                    dx.storage[(o * n + idx[o * inner + i]) * inner + i] = g.storage[o * inner + i]
                }
            }
            return [dx]
        }
    }
}
