import CBLAS
import CMCVNNI
import Foundation

/// Thin, typed wrappers over OpenBLAS, and the matrix product on our own AVX-512 kernel where the CPU has it.
///
/// All matrices are row-major. The thread count is process-wide in OpenBLAS; the daemon sets it to 1
/// and parallelises across windows instead (spin-waiting BLAS threads collapse under contention). `gemm`
/// honours the same count whichever implementation runs it.
public enum BLAS {
    /// What computes `gemm`.
    public enum GEMMBackend: String, Sendable, CaseIterable {
        /// `SGEMMKernel` (CMCVNNI), faster than OpenBLAS's AVX2 kernels on this project's shapes
        /// (docs/results/sgemm-avx512-2026-12-03.md).
        case avx512
        case openblas

        /// Whether this CPU can run it: the AVX-512 kernel lives in CMCVNNI, compiled for AVX512F, BW, VL and
        /// VNNI, so the compiler may use any of them there.
        public var isAvailable: Bool { self == .openblas || CPUFeatures.avx512VNNI }
    }

    /// The AVX-512 kernel where the CPU has it, unless `CMC_GEMM=openblas` asks for OpenBLAS (to compare).
    /// Any other value of `CMC_GEMM` stops the process at the first product: a misspelt switch would
    /// otherwise time the wrong backend without a word. (`fatalError`, not a precondition: CMCTensor is
    /// built `-Ounchecked`, where a failed precondition is undefined behaviour, not a trap.)
    public static let gemmBackend: GEMMBackend = {
        let fastest: GEMMBackend = GEMMBackend.avx512.isAvailable ? .avx512 : .openblas
        guard let text = ProcessInfo.processInfo.environment["CMC_GEMM"] else { return fastest }
        guard let forced = GEMMBackend(rawValue: text.lowercased()) else {
            fatalError("CMC_GEMM=\(text): expected avx512 or openblas")
        }
        return forced.isAvailable ? forced : fastest
    }()

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
    /// `lda`, `ldb`, `ldc` default to the packed leading dimensions. With beta 0, C is written without being
    /// read (it may be uninitialised).
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        using backend: GEMMBackend = gemmBackend
    ) {
        if m == 0 || n == 0 { return }
        let la = lda ?? (transA ? m : k)
        let lb = ldb ?? (transB ? k : n)
        let lc = ldc ?? n
        #if arch(x86_64)
            if backend == .avx512 && CPUFeatures.avx512VNNI {
                return avx512(
                    transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: la, b: b, ldb: lb,
                    beta: beta, c: c, ldc: lc)
            }
        #endif
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(la), b, Int32(lb), beta, c, Int32(lc))
    }

    /// Products of at least this many multiply-adds are split between two threads when `threads` allows.
    /// Handing half to another thread (`Concurrently.run`, a dispatch worker) costs tens of microseconds:
    /// measured on the 2-core machine, a split 256 × 256 × 128 product (8 M) ran at 180–190 GFLOP/s against
    /// 228 on one thread, 256 × 256 × 256 (17 M) at 231–256 against 227, 512 × 256 × 256 (34 M) at 303–317
    /// against 225 (docs/results/sgemm-avx512-2026-12-03.md).
    static let parallelMultiplyAdds = 1 << 24

    #if arch(x86_64)
        /// `SGEMMKernel`, on `threads` threads: C is split into two blocks of columns (or of rows, when it has
        /// more rows than columns), so each thread packs half of one operand and all of the other — the
        /// smaller one.
        static func avx512(
            transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
        ) {
            func multiply(
                m: Int, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
            ) {
                SGEMMKernel.multiply(
                    transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
            }
            guard threads > 1, m * n * k >= parallelMultiplyAdds else { return multiply(m: m, n: n, a: a, b: b, c: c) }
            if n >= m {
                // Whole 32-column panels on the left.
                let left = max(32, (n / 2 + 16) / 32 * 32)
                guard left < n else { return multiply(m: m, n: n, a: a, b: b, c: c) }
                _ = Concurrently.run(
                    { multiply(m: m, n: left, a: a, b: b, c: c) },
                    { multiply(m: m, n: n - left, a: a, b: b + (transB ? left * ldb : left), c: c + left) })
            } else {
                // Whole 12-row tiles on top.
                let top = max(12, (m / 2 + 6) / 12 * 12)
                guard top < m else { return multiply(m: m, n: n, a: a, b: b, c: c) }
                _ = Concurrently.run(
                    { multiply(m: top, n: n, a: a, b: b, c: c) },
                    { multiply(m: m - top, n: n, a: a + (transA ? top : top * lda), b: b, c: c + top * ldc) })
            }
        }
    #endif
}
