import CMCVNNI

/// A 2-D convolution in int8 (1-D is height 1): the weights quantised per output channel, the input per
/// call over the whole tensor, the product in 32-bit integers (`QuantizedLinear`'s scheme and error).
///
/// The patch matrix is built from bytes, not floats: the input is quantised once into a zero-padded
/// channels-last copy, where a patch row of kernel width × channels bytes is contiguous, so each output
/// position's patch is `kernelH` copies. The weights' depth is ordered the same way: (row, column,
/// channel).
public struct QuantizedConvolution: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: (height: Int, width: Int)
    public let stride: (height: Int, width: Int)
    public let padding: (height: Int, width: Int)
    let linear: QuantizedLinear

    /// - Parameters:
    ///   - weight: (O, C, kh, kw), as `Conv2d` holds it.
    ///   - bias: (O) or nil.
    public init(weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int)) {
        precondition(weight.rank == 4, "convolution weight of shape \(weight.shape)")
        let (o, c, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        var depthMajor = Tensor(shape: [kh * kw * c, o])
        for oc in 0..<o {
            for ic in 0..<c {
                for i in 0..<kh {
                    for j in 0..<kw {
                        depthMajor.storage[((i * kw + j) * c + ic) * o + oc] =
                            weight.storage[((oc * c + ic) * kh + i) * kw + j]
                    }
                }
            }
        }
        linear = QuantizedLinear(weight: depthMajor, bias: bias)
        inChannels = c
        outChannels = o
        kernel = (kh, kw)
        self.stride = stride
        self.padding = padding
    }

    /// (B, C, H, W) → (B, O, Ho, Wo); with `relu`, rectified as the results are converted back to floats.
    public func callAsFunction(_ x: Tensor, relu: Bool = false, vnni: Bool = CPUFeatures.avx512VNNI) -> Tensor {
        let g = geometry([x.shape[0], x.shape[1], x.shape[2], x.shape[3]])
        let (paddedH, paddedW) = (g.height + 2 * g.padH, g.width + 2 * g.padW)
        let q = ByteQuantisation(x)
        // The border keeps the zero point: padding is exactly zero.
        var image = [UInt8](repeating: q.zeroPoint, count: g.batch * paddedH * paddedW * g.inChannels)
        x.storage.withUnsafeBufferPointer { px in
            image.withUnsafeMutableBufferPointer { pi in
                Int8MatMul.quantiseChannelsLast(
                    px.baseAddress!, batch: g.batch, channels: g.inChannels, height: g.height, width: g.width,
                    padH: g.padH, padW: g.padW, inverseScale: 1 / q.scale, zeroPoint: Float(q.zeroPoint),
                    into: pi.baseAddress!, vnni: vnni)
            }
        }
        return convolve(image, q, g, relu: relu, vnni: vnni)
    }

    /// The same convolution of an input held channels-last, (B, H, W, C): `self(x.permuted([0, 3, 1, 2]))`
    /// to the bit. The skeleton encoder's joint-to-channel permutation lands exactly in this layout, so its
    /// convolution quantises rows as they lie instead of transposing a transposed copy.
    public func callAsFunction(channelsLast x: Tensor, relu: Bool = false, vnni: Bool = CPUFeatures.avx512VNNI)
        -> Tensor
    {
        precondition(x.rank == 4, "channels-last convolution input of shape \(x.shape)")
        let g = geometry([x.shape[0], x.shape[3], x.shape[1], x.shape[2]])
        let (paddedH, paddedW) = (g.height + 2 * g.padH, g.width + 2 * g.padW)
        let q = ByteQuantisation(x)
        var image = [UInt8](repeating: q.zeroPoint, count: g.batch * paddedH * paddedW * g.inChannels)
        let run = g.width * g.inChannels
        x.storage.withUnsafeBufferPointer { px in
            image.withUnsafeMutableBufferPointer { pi in
                for b in 0..<g.batch {
                    for h in 0..<g.height {
                        q.quantise(
                            px.baseAddress! + (b * g.height + h) * run, count: run,
                            into: pi.baseAddress! + ((b * paddedH + h + g.padH) * paddedW + g.padW) * g.inChannels,
                            vnni: vnni)
                    }
                }
            }
        }
        return convolve(image, q, g, relu: relu, vnni: vnni)
    }

    /// Geometry for an input of logical shape (B, C, H, W).
    private func geometry(_ input: [Int]) -> ConvGeometry {
        ConvGeometry(
            input: input, weight: [outChannels, inChannels, kernel.height, kernel.width],
            stride: (stride.height, stride.width), padding: (padding.height, padding.width))
    }

    /// Patches of the padded channels-last byte `image`, their product with the weights, and the floats back,
    /// channels-first.
    private func convolve(_ image: [UInt8], _ q: ByteQuantisation, _ g: ConvGeometry, relu: Bool, vnni: Bool)
        -> Tensor
    {
        let (paddedH, paddedW) = (g.height + 2 * g.padH, g.width + 2 * g.padW)
        let (outH, outW) = (g.outH, g.outW)
        let rows = g.batch * outH * outW
        let rowStride = 4 * linear.weights.groups
        let span = g.kernelW * g.inChannels
        #if arch(x86_64)
            if vnni {
                let patches = [UInt8](unsafeUninitializedCapacity: rows * rowStride) { pp, count in
                    image.withUnsafeBufferPointer { pi in
                        VNNIKernel.gatherPatches(
                            pi.baseAddress!, batch: g.batch, paddedH: paddedH, paddedW: paddedW, channels: g.inChannels,
                            kernelH: g.kernelH, span: span, strideH: g.strideH, strideW: g.strideW, outH: outH,
                            outW: outW, rowStride: rowStride, fill: q.zeroPoint, into: pp.baseAddress!)
                    }
                    count = rows * rowStride // every byte written by the kernel
                }
                return product(patches, rows: rows, rowStride: rowStride, q, g, relu: relu, vnni: vnni)
            }
        #endif
        var patches = [UInt8](repeating: q.zeroPoint, count: rows * rowStride)
        image.withUnsafeBufferPointer { pi in
            patches.withUnsafeMutableBufferPointer { pp in
                for b in 0..<g.batch {
                    for oh in 0..<outH {
                        for ow in 0..<outW {
                            let row = pp.baseAddress! + ((b * outH + oh) * outW + ow) * rowStride
                            for i in 0..<g.kernelH {
                                let from =
                                    pi.baseAddress! + ((b * paddedH + oh * g.strideH + i) * paddedW + ow * g.strideW)
                                    * g.inChannels
                                (row + i * span).update(from: from, count: span)
                            }
                        }
                    }
                }
            }
        }
        return product(patches, rows: rows, rowStride: rowStride, q, g, relu: relu, vnni: vnni)
    }

    /// The patches' product with the weights, dequantised channels-first.
    private func product(
        _ patches: [UInt8], rows: Int, rowStride: Int, _ q: ByteQuantisation, _ g: ConvGeometry, relu: Bool, vnni: Bool
    ) -> Tensor {
        let (outH, outW) = (g.outH, g.outW)
        let product = Int8MatMul.multiply(patches, rows: rows, stride: rowStride, by: linear.weights, vnni: vnni)
        let (factor, constant) = linear.dequantisation(input: q)
        let out = Int8MatMul.dequantise(
            product, rows: rows, columns: linear.weights.paddedColumns, factor: factor, constant: constant,
            spatial: outH * outW, relu: relu, vnni: vnni)
        return Tensor(shape: [g.batch, outChannels, outH, outW], storage: out)
    }
}
