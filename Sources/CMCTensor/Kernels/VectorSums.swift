/// Vectorised sums over short contiguous runs, the inner loops of the normalisation kernels.
///
/// Each run is summed in eight Float lanes (a run is at most a few thousand values, so lane sums carry
/// float32 rounding of a few hundred additions), and the lanes are combined in Double, where the callers
/// also accumulate across runs. A scalar Double loop is one add per 4 cycles (its dependency chain) and
/// does not vectorise.
enum VectorSums {
    typealias Lanes = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> Lanes {
        UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self)
    }

    @inline(__always)
    static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Lanes.self)
    }

    @inline(__always)
    static func total(_ v: Lanes) -> Double {
        var t = 0.0
        for k in 0..<Lanes.scalarCount { t += Double(v[k]) }
        return t
    }

    /// Σ x[i].
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
        var acc = Lanes()
        var i = 0
        while i + Lanes.scalarCount <= n {
            acc += load(x, i)
            i += Lanes.scalarCount
        }
        var t = total(acc)
        while i < n {
            t += Double(x[i])
            i += 1
        }
        return t
    }

    /// Σ (x[i] − m)².
    @inline(__always)
    static func squaredDeviations(_ x: UnsafePointer<Float>, _ n: Int, mean m: Float) -> Double {
        var acc = Lanes()
        let mv = Lanes(repeating: m)
        var i = 0
        while i + Lanes.scalarCount <= n {
            let d = load(x, i) - mv
            acc += d * d
            i += Lanes.scalarCount
        }
        var t = total(acc)
        while i < n {
            let d = Double(x[i] - m)
            t += d * d
            i += 1
        }
        return t
    }

    /// (Σ a[i], Σ a[i]·(b[i] − m)).
    @inline(__always)
    static func sumAndCentredDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, mean m: Float)
        -> (Double, Double)
    {
        var sa = Lanes()
        var sab = Lanes()
        let mv = Lanes(repeating: m)
        var i = 0
        while i + Lanes.scalarCount <= n {
            let va = load(a, i)
            sa += va
            sab += va * (load(b, i) - mv)
            i += Lanes.scalarCount
        }
        var ta = total(sa)
        var tab = total(sab)
        while i < n {
            ta += Double(a[i])
            tab += Double(a[i] * (b[i] - m))
            i += 1
        }
        return (ta, tab)
    }

    /// Σ a[i]·b[i].
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Double {
        var acc = Lanes()
        var i = 0
        while i + Lanes.scalarCount <= n {
            acc += load(a, i) * load(b, i)
            i += Lanes.scalarCount
        }
        var t = total(acc)
        while i < n {
            t += Double(a[i] * b[i])
            i += 1
        }
        return t
    }
}
