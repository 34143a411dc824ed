import Foundation

/// Softmax and log-softmax along an axis, numerically stabilised by the row maximum.
extension Kernels {
    public static func softmax(_ x: Tensor, axis a: Int, log: Bool = false) -> Tensor {
        let axis = x.axis(a)
        let (outer, n, inner) = split(x.shape, axis)
        var out = [Float](repeating: 0, count: x.count)
        x.storage.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * n * inner + i
                        var m = -Float.infinity
                        for k in 0..<n { m = Swift.max(m, px[base + k * inner]) }
                        var sum: Float = 0
                        for k in 0..<n {
                            let e = expf(px[base + k * inner] - m)
                            po[base + k * inner] = e
                            sum += e
                        }
                        if log {
                            let ls = logf(sum) + m
                            for k in 0..<n { po[base + k * inner] = px[base + k * inner] - ls }
                        } else {
                            let inv = 1 / sum
                            for k in 0..<n { po[base + k * inner] *= inv }
                        }
                    }
                }
            }
        }
        return Tensor(shape: x.shape, storage: out)
    }

    /// Given y = softmax(x) (or log-softmax), the gradient with respect to x.
    public static func softmaxBackward(_ dy: Tensor, output y: Tensor, axis a: Int, log: Bool = false) -> Tensor {
        let axis = y.axis(a)
        let (outer, n, inner) = split(y.shape, axis)
        var dx = [Float](repeating: 0, count: y.count)
        dy.storage.withUnsafeBufferPointer { pd in
            y.storage.withUnsafeBufferPointer { py in
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * n * inner + i
                        if log {
                            var s: Float = 0
                            for k in 0..<n { s += pd[base + k * inner] }
                            for k in 0..<n {
                                dx[base + k * inner] = pd[base + k * inner] - expf(py[base + k * inner]) * s
                            }
                        } else {
                            var s: Float = 0
                            for k in 0..<n { s += pd[base + k * inner] * py[base + k * inner] }
                            for k in 0..<n { dx[base + k * inner] = py[base + k * inner] * (pd[base + k * inner] - s) }
                        }
                    }
                }
            }
        }
        return Tensor(shape: y.shape, storage: dx)
    }
}
