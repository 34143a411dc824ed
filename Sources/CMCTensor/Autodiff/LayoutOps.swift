extension Variable {
    public func reshaped(_ newShape: [Int]) -> Variable {
        let shape = self.shape
        return Variable.make(value.reshaped(newShape), [self]) { g in [g.reshaped(shape)] }
    }

    /// Flattens all dimensions after the first: (B, …) → (B, N).
    public func flattened() -> Variable { reshaped([shape[0], -1]) }

    public func permuted(_ perm: [Int]) -> Variable {
        let inv = Kernels.inverse(perm)
        return Variable.make(Kernels.permute(value, perm), [self]) { g in [Kernels.permute(g, inv)] }
    }

    public func sliced(axis a: Int, _ range: Range<Int>) -> Variable {
        let shape = self.shape
        let axis = value.axis(a)
        return Variable.make(Kernels.slice(value, axis: axis, range: range), [self]) { g in
            var dx = Tensor(shape: shape)
            Kernels.sliceAccumulate(&dx, g, axis: axis, start: range.lowerBound)
            return [dx]
        }
    }

    /// Zero (or `value`) padding of one axis.
    public func padded(axis a: Int, before: Int, after: Int, value fill: Float = 0) -> Variable {
        let axis = value.axis(a)
        let n = shape[axis]
        return Variable.make(Kernels.pad(value, axis: axis, before: before, after: after, value: fill), [self]) { g in
            [Kernels.slice(g, axis: axis, range: before..<(before + n))]
        }
    }
}

/// Concatenation along an axis.
public func concat(_ xs: [Variable], axis a: Int) -> Variable {
    let axis = xs[0].value.axis(a)
    let sizes = xs.map { $0.shape[axis] }
    return Variable.make(Kernels.concat(xs.map(\.value), axis: axis), xs) { g in
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return Kernels.slice(g, axis: axis, range: start..<(start + n))
        }
    }
}
