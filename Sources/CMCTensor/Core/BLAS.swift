import CBLAS

/// Thin, typed wrappers over OpenBLAS.
///
/// All matrices are row-major. The thread count is process-wide in OpenBLAS; the daemon sets it to 1
/// and parallelises across windows instead (spin-waiting BLAS threads collapse under contention).
public enum BLAS {
    /// Sets OpenBLAS's worker-thread count for the whole process.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with `n` worker threads, then restores the previous count.
    public static func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let previous = threads
        setThreads(n)
        defer { setThreads(previous) }
        return try body()
    }

    /// The index of the element of largest magnitude (the first on ties); `x` must not be empty.
    public static func indexOfLargestMagnitude(_ x: UnsafeBufferPointer<Float>) -> Int {
        precondition(!x.isEmpty, "no largest element of an empty vector")
        return Int(cblas_isamax(blasint(x.count), x.baseAddress!, 1))
    }

    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major.
    /// `lda`, `ldb`, `ldc` default to the packed leading dimensions.
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        if m == 0 || n == 0 { return }
        let la = lda ?? (transA ? m : k)
        let lb = ldb ?? (transB ? k : n)
        let lc = ldc ?? n
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(la), b, Int32(lb), beta, c, Int32(lc))
    }
}
