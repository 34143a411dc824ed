/// 2-D convolution: x (B, C, H, W), weight (O, C, kh, kw), optional bias (O).
public func conv2d(
    _ x: Variable, weight: Variable, bias: Variable?, stride: (Int, Int) = (1, 1),
    padding: (Int, Int) = (0, 0)
) -> Variable {
    let (vx, vw) = (x.value, weight.value)
    let y = Kernels.conv2d(vx, vw, bias: bias?.value, stride: stride, padding: padding)
    let parents = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.make(y, parents) { g in
        let (dx, dw, db) = Kernels.conv2dBackward(
            vx, vw, g, stride: stride, padding: padding, needInput: x.requiresGrad)
        return bias == nil ? [dx, dw] : [dx, dw, db]
    }
}

/// 1-D convolution: x (B, C, L), weight (O, C, k); computed as a 2-D convolution of height 1.
public func conv1d(_ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0) -> Variable {
    precondition(
        x.shape.count == 3 && weight.shape.count == 3,
        "conv1d wants (B,C,L) and (O,C,k), got \(x.shape), \(weight.shape)")
    let (b, c, l) = (x.shape[0], x.shape[1], x.shape[2])
    let (o, ci, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
    let y = conv2d(
        x.reshaped([b, c, 1, l]), weight: weight.reshaped([o, ci, 1, k]), bias: bias,
        stride: (1, stride), padding: (0, padding))
    return y.reshaped([b, o, y.shape[3]])
}

/// Max pooling with kernel and stride (floor mode), over (B, C, H, W).
public func maxPool2d(_ x: Variable, kernel: (Int, Int), stride: (Int, Int)? = nil) -> Variable {
    // Inference needs no record of which input won.
    guard GradMode.isEnabled, x.requiresGrad else {
        return Variable(Kernels.maxPool2dValues(x.value, kernel: kernel, stride: stride ?? kernel))
    }
    let shape = x.shape
    let (y, arg) = Kernels.maxPool2d(x.value, kernel: kernel, stride: stride ?? kernel)
    return Variable.make(y, [x]) { g in [Kernels.maxPool2dBackward(g, argmax: arg, inputShape: shape)] }
}
