import CMCVNNI

/// Max pooling over (B, C, H, W) with floor-mode output size (PyTorch's default).
extension Kernels {
    public static func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)) -> (Tensor, [Int32]) {
        precondition(x.rank == 4, "maxPool2d wants (B,C,H,W), got \(x.shape)")
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = (h - kernel.0) / stride.0 + 1
        let ow = (w - kernel.1) / stride.1 + 1
        precondition(oh > 0 && ow > 0, "maxPool2d kernel \(kernel) larger than input \(h)×\(w)")
        let n = b * c * oh * ow
        var out = [Float](unsafeUninitializedCapacity: n) { _, count in count = n } // every element written below
        var arg = [Int32](unsafeUninitializedCapacity: n) { _, count in count = n }
        x.storage.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                arg.withUnsafeMutableBufferPointer { pa in
                    if kernel == (2, 2) && stride == (2, 2) {
                        // The encoders' only pooling: an unrolled 2×2 window.
                        for p in 0..<(b * c) {
                            let plane = p * h * w
                            for y in 0..<oh {
                                for xx in 0..<ow {
                                    let i0 = plane + 2 * y * w + 2 * xx
                                    var best = px[i0]
                                    var bi = i0
                                    if px[i0 + 1] > best {
                                        best = px[i0 + 1]
                                        bi = i0 + 1
                                    }
                                    if px[i0 + w] > best {
                                        best = px[i0 + w]
                                        bi = i0 + w
                                    }
                                    if px[i0 + w + 1] > best {
                                        best = px[i0 + w + 1]
                                        bi = i0 + w + 1
                                    }
                                    let o = (p * oh + y) * ow + xx
                                    po[o] = best
                                    pa[o] = Int32(bi)
                                }
                            }
                        }
                        return
                    }
                    for p in 0..<(b * c) {
                        let plane = p * h * w
                        for y in 0..<oh {
                            for xx in 0..<ow {
                                let first = plane + y * stride.0 * w + xx * stride.1
                                var best = px[first]
                                var bi = first
                                for i in 0..<kernel.0 {
                                    let row = plane + (y * stride.0 + i) * w + xx * stride.1
                                    for j in 0..<kernel.1 where px[row + j] > best {
                                        best = px[row + j]
                                        bi = row + j
                                    }
                                }
                                let o = (p * oh + y) * ow + xx
                                po[o] = best
                                pa[o] = Int32(bi)
                            }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: [b, c, oh, ow], storage: out), arg)
    }

    /// `maxPool2d`'s values alone (inference): without the winners' positions to record, the 2 × 2 window is
    /// branch-free maxima, first of two rows element by element (vectorised), then of neighbouring pairs; on
    /// AVX-512 (`vnni`) both at once, 16 outputs per step (`VNNIKernel.maxPool2x2`).
    public static func maxPool2dValues(
        _ x: Tensor, kernel: (Int, Int), stride: (Int, Int), vnni: Bool = CPUFeatures.avx512VNNI
    ) -> Tensor {
        guard kernel == (2, 2) && stride == (2, 2) else { return maxPool2d(x, kernel: kernel, stride: stride).0 }
        precondition(x.rank == 4, "maxPool2d wants (B,C,H,W), got \(x.shape)")
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (h / 2, w / 2)
        precondition(oh > 0 && ow > 0, "maxPool2d kernel \(kernel) larger than input \(h)×\(w)")
        let n = b * c * oh * ow
        #if arch(x86_64)
            if vnni {
                let out = [Float](unsafeUninitializedCapacity: n) { po, count in
                    x.storage.withUnsafeBufferPointer { px in
                        VNNIKernel.maxPool2x2(
                            px.baseAddress!, planes: b * c, height: h, width: w, into: po.baseAddress!)
                    }
                    count = n
                }
                return Tensor(shape: [b, c, oh, ow], storage: out)
            }
        #endif
        var rowMax = [Float](repeating: 0, count: w)
        let out = [Float](unsafeUninitializedCapacity: n) { po, count in
            x.storage.withUnsafeBufferPointer { px in
                rowMax.withUnsafeMutableBufferPointer { m in
                    for p in 0..<(b * c) {
                        for y in 0..<oh {
                            let (r0, r1) = (
                                px.baseAddress! + (p * h + 2 * y) * w, px.baseAddress! + (p * h + 2 * y + 1) * w
                            )
                            for j in 0..<(2 * ow) { m[j] = Swift.max(r0[j], r1[j]) }
                            let o = po.baseAddress! + (p * oh + y) * ow
                            for j in 0..<ow { o[j] = Swift.max(m[2 * j], m[2 * j + 1]) }
                        }
                    }
                }
            }
            count = n
        }
        return Tensor(shape: [b, c, oh, ow], storage: out)
    }

    /// Routes each output gradient to the input position that won the max.
    static func maxPool2dBackward(_ dy: Tensor, argmax: [Int32], inputShape: [Int]) -> Tensor {
        var dx = Tensor(shape: inputShape)
        dx.storage.withUnsafeMutableBufferPointer { pd in
            for (o, i) in argmax.enumerated() { pd[Int(i)] += dy.storage[o] }
        }
        return dx
    }
}
