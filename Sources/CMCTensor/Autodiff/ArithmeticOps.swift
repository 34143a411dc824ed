import Foundation

// Differentiable elementwise arithmetic with broadcasting. Each backward reduces the incoming
// gradient to the operand's own shape (the adjoint of broadcasting).

public func + (a: Variable, b: Variable) -> Variable {
    let (sa, sb) = (a.shape, b.shape)
    return Variable.make(a.value + b.value, [a, b]) { g in [g.reduced(toShape: sa), g.reduced(toShape: sb)] }
}

public func - (a: Variable, b: Variable) -> Variable {
    let (sa, sb) = (a.shape, b.shape)
    return Variable.make(a.value - b.value, [a, b]) { g in [g.reduced(toShape: sa), (g * -1).reduced(toShape: sb)] }
}

public func * (a: Variable, b: Variable) -> Variable {
    let (va, vb) = (a.value, b.value)
    return Variable.make(va * vb, [a, b]) { g in
        [
            a.requiresGrad ? (g * vb).reduced(toShape: va.shape) : nil,
            b.requiresGrad ? (g * va).reduced(toShape: vb.shape) : nil,
        ]
    }
}

public func / (a: Variable, b: Variable) -> Variable {
    let (va, vb) = (a.value, b.value)
    return Variable.make(va / vb, [a, b]) { g in
        [
            a.requiresGrad ? (g / vb).reduced(toShape: va.shape) : nil,
            b.requiresGrad ? Kernels.broadcastBinary(g * va, vb) { $0 / -($1 * $1) }.reduced(toShape: vb.shape) : nil,
        ]
    }
}

public func * (a: Variable, s: Float) -> Variable {
    Variable.make(a.value * s, [a]) { g in [g * s] }
}

public func * (s: Float, a: Variable) -> Variable { a * s }

public func + (a: Variable, s: Float) -> Variable {
    Variable.make(Kernels.map(a.value) { $0 + s }, [a]) { g in [g] }
}

public func - (a: Variable, s: Float) -> Variable { a + (-s) }

public func / (a: Variable, s: Float) -> Variable { a * (1 / s) }

public prefix func - (a: Variable) -> Variable { a * -1 }

extension Variable {
    public func exp() -> Variable {
        let y = Kernels.map(value) { expf($0) }
        return Variable.make(y, [self]) { g in [g * y] }
    }

    public func log() -> Variable {
        let x = value
        return Variable.make(Kernels.map(x) { logf($0) }, [self]) { g in [g / x] }
    }

    public func sqrt() -> Variable {
        let y = Kernels.map(value) { $0.squareRoot() }
        return Variable.make(y, [self]) { g in [Kernels.zip(g, y) { $0 * 0.5 / $1 }] }
    }

    public func square() -> Variable {
        let x = value
        return Variable.make(x * x, [self]) { g in [Kernels.zip(g, x) { 2 * $0 * $1 }] }
    }

    public func relu() -> Variable {
        let x = value
        return Variable.make(Kernels.map(x) { Swift.max($0, 0) }, [self]) { g in
            [Kernels.zip(g, x) { $1 > 0 ? $0 : 0 }]
        }
    }

    public func leakyRelu(slope: Float = 0.01) -> Variable {
        let x = value
        return Variable.make(Kernels.map(x) { $0 > 0 ? $0 : slope * $0 }, [self]) { g in
            [Kernels.zip(g, x) { $1 > 0 ? $0 : slope * $0 }]
        }
    }
}
