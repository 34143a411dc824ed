import Foundation

/// Forward kernels: plain functions on tensors, no autodiff. The differentiable ops in `Autodiff/`
/// call these and record how to run the corresponding backward kernels.
public enum Kernels {}

extension Kernels {
    /// Applies `f` elementwise over the broadcast of `a` and `b`.
    @inline(__always)
    static func broadcastBinary(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape {
            var out = [Float].uninitialized(a.count)
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { po in
                        for i in 0..<po.count { po[i] = f(pa[i], pb[i]) }
                    }
                }
            }
            return Tensor(shape: a.shape, storage: out)
        }
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let r = shape.count
        let n = shape.reduce(1, *)
        var out = [Float].uninitialized(n) // the loop below writes every element
        if n == 0 { return Tensor(shape: shape, storage: out) }
        let sa = Broadcast.strides(of: a.shape, in: shape)
        let sb = Broadcast.strides(of: b.shape, in: shape)
        let inner = r == 0 ? 1 : shape[r - 1]
        let ia = r == 0 ? 0 : sa[r - 1]
        let ib = r == 0 ? 0 : sb[r - 1]
        var index = [Int](repeating: 0, count: Swift.max(r - 1, 0))
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    var o = 0
                    while o < n {
                        var offA = 0
                        var offB = 0
                        for d in 0..<index.count {
                            offA += index[d] * sa[d]
                            offB += index[d] * sb[d]
                        }
                        for j in 0..<inner { po[o + j] = f(pa[offA + j * ia], pb[offB + j * ib]) }
                        o += inner
                        var d = index.count - 1
                        while d >= 0 {
                            index[d] += 1
                            if index[d] < shape[d] { break }
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// Applies `f` to every element.
    @inline(__always)
    static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        let out = [Float](unsafeUninitializedCapacity: x.count) { po, count in
            x.storage.withUnsafeBufferPointer { px in
                for i in 0..<px.count { po[i] = f(px[i]) }
            }
            count = x.count
        }
        return Tensor(shape: x.shape, storage: out)
    }

    /// Applies `f` to pairs of same-shape tensors.
    @inline(__always)
    static func zip(_ x: Tensor, _ y: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(x.shape == y.shape, "shape mismatch \(x.shape) vs \(y.shape)")
        return broadcastBinary(x, y, f)
    }

    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor { broadcastBinary(a, b, +) }
    public static func sub(_ a: Tensor, _ b: Tensor) -> Tensor { broadcastBinary(a, b, -) }
    public static func mul(_ a: Tensor, _ b: Tensor) -> Tensor { broadcastBinary(a, b, *) }
    public static func div(_ a: Tensor, _ b: Tensor) -> Tensor { broadcastBinary(a, b, /) }
    public static func scale(_ a: Tensor, _ s: Float) -> Tensor { map(a) { $0 * s } }

    /// In-place `a += b` for same-shape tensors (gradient accumulation).
    public static func accumulate(_ a: inout Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape, "accumulate \(b.shape) into \(a.shape)")
        b.storage.withUnsafeBufferPointer { pb in
            a.storage.withUnsafeMutableBufferPointer { pa in
                for i in 0..<pa.count { pa[i] += pb[i] }
            }
        }
    }
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { Kernels.add(a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { Kernels.sub(a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { Kernels.mul(a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { Kernels.div(a, b) }
    public static func * (a: Tensor, s: Float) -> Tensor { Kernels.scale(a, s) }
}
