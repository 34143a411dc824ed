/// Matrix product of rank-2 variables.
public func matmul(_ a: Variable, _ b: Variable, transB: Bool = false) -> Variable {
    let (va, vb) = (a.value, b.value)
    return Variable.make(Kernels.matmul(va, vb, transB: transB), [a, b]) { g in
        let da = a.requiresGrad ? Kernels.matmul(g, vb, transB: !transB) : nil
        let db =
            b.requiresGrad
            ? (transB ? Kernels.matmul(g, va, transA: true) : Kernels.matmul(va, g, transA: true)) : nil
        return [da, db]
    }
}

/// Batched matrix product of rank-3 variables, optionally with b transposed per batch.
public func bmm(_ a: Variable, _ b: Variable, transB: Bool = false) -> Variable {
    let (va, vb) = (a.value, b.value)
    return Variable.make(Kernels.bmm(va, vb, transB: transB), [a, b]) { g in
        let da = a.requiresGrad ? Kernels.bmm(g, vb, transB: !transB) : nil
        let db =
            b.requiresGrad
            ? (transB ? Kernels.bmm(g, va, transA: true) : Kernels.bmm(va, g, transA: true)) : nil
        return [da, db]
    }
}

/// y = x·Wᵀ + b over the last dimension of x (any leading shape), W of shape (out, in).
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    let inF = weight.shape[1]
    let outF = weight.shape[0]
    precondition(x.shape.last == inF, "linear expects \(inF) input features, got shape \(x.shape)")
    let lead = Array(x.shape.dropLast())
    let x2 = x.value.reshaped([-1, inF])
    var y = Kernels.matmul(x2, weight.value, transB: true)
    if let bias {
        let bs = bias.value.storage
        y.storage.withUnsafeMutableBufferPointer { py in
            let rows = py.count / max(outF, 1)
            for r in 0..<rows { for j in 0..<outF { py[r * outF + j] += bs[j] } }
        }
    }
    let w = weight.value
    let parents = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.make(y.reshaped(lead + [outF]), parents) { g in
        let g2 = g.reshaped([-1, outF])
        let dx = x.requiresGrad ? Kernels.matmul(g2, w).reshaped(x2.shape).reshaped(lead + [inF]) : nil
        let dw = weight.requiresGrad ? Kernels.matmul(g2, x2, transA: true) : nil
        var grads: [Tensor?] = [dx, dw]
        if bias != nil { grads.append(Kernels.sum(g2, axis: 0)) }
        return grads
    }
}
