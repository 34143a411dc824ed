/// Matrix products on BLAS.
extension Kernels {
    /// (m×k)·(k×n) with optional transposes of either operand (as stored).
    public static func matmul(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs rank-2 operands, got \(a.shape) and \(b.shape)")
        let m = transA ? a.shape[1] : a.shape[0]
        let k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0]
        let n = transB ? b.shape[0] : b.shape[1]
        precondition(
            k == kb, "matmul inner dimensions differ: \(a.shape)\(transA ? "ᵀ" : "") · \(b.shape)\(transB ? "ᵀ" : "")")
        if k == 0 { return Tensor(shape: [m, n]) }
        var out = [Float].uninitialized(m * n) // sgemm with beta 0 writes every element
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    BLAS.gemm(
                        transA: transA, transB: transB, m: m, n: n, k: k,
                        a: pa.baseAddress!, b: pb.baseAddress!, c: po.baseAddress!)
                }
            }
        }
        return Tensor(shape: [m, n], storage: out)
    }

    /// Batched product over a leading batch dimension: (B×m×k)·(B×k×n).
    public static func bmm(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        precondition(
            a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0],
            "bmm needs (B,m,k)·(B,k,n), got \(a.shape) and \(b.shape)")
        let batch = a.shape[0]
        let m = transA ? a.shape[2] : a.shape[1]
        let k = transA ? a.shape[1] : a.shape[2]
        let kb = transB ? b.shape[2] : b.shape[1]
        let n = transB ? b.shape[1] : b.shape[2]
        precondition(k == kb, "bmm inner dimensions differ: \(a.shape) · \(b.shape)")
        if k == 0 { return Tensor(shape: [batch, m, n]) }
        var out = [Float].uninitialized(batch * m * n) // sgemm with beta 0 writes every element
        let sa = a.shape[1] * a.shape[2]
        let sb = b.shape[1] * b.shape[2]
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    for i in 0..<batch {
                        BLAS.gemm(
                            transA: transA, transB: transB, m: m, n: n, k: k,
                            a: pa.baseAddress! + i * sa, b: pb.baseAddress! + i * sb,
                            c: po.baseAddress! + i * m * n)
                    }
                }
            }
        }
        return Tensor(shape: [batch, m, n], storage: out)
    }
}
