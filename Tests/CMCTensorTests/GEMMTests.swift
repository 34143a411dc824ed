import CMCCore
@testable import CMCTensor
import XCTest

/// `BLAS.gemm` on each backend this CPU runs, against a float64 product: every transpose, alpha and beta,
/// leading dimensions wider than the matrices, and shapes that reach each edge of the AVX-512 kernel's
/// blocking (tiles of 12 × 32, depth blocks of 256, row blocks of 144, column blocks of 4096, B read in place
/// up to 96 rows, the transposed path up to 16 columns; the split between two threads has a test of its own).
final class GEMMTests: XCTestCase {
    /// (m, n, k)
    static let shapes = [
        (1, 1, 1), (1, 257, 33), (257, 1, 17), (15, 16, 17), (16, 17, 15), (17, 15, 16), (33, 100, 257),
        (100, 257, 33), (257, 33, 100), (13, 47, 513), (150, 4200, 30), (12, 32, 256), (24, 64, 1),
        (300, 40, 100), (100, 6, 70), (40, 16, 33), (3, 2, 9), (64, 60, 600), (20, 4200, 40),
    ]

    func testEveryBackendMatchesTheFloat64Product() throws {
        let backends = BLAS.GEMMBackend.allCases.filter(\.isAvailable)
        XCTAssertTrue(backends.contains(.openblas))
        var rng = SeededRNG(seed: 11)
        for backend in backends {
            for threads in [1, 2] {
                for (m, n, k) in Self.shapes {
                    for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                        for (alpha, beta): (Float, Float) in [(1, 0), (0.5, 1), (-2, 0.25)] {
                            let problem = Problem(
                                m: m, n: n, k: k, transA: transA, transB: transB, padding: (m + n) % 3 * 5, rng: &rng)
                            let worst = BLAS.withThreads(threads) {
                                problem.worstError(alpha: alpha, beta: beta, backend: backend)
                            }
                            XCTAssertLessThanOrEqual(
                                worst, 1,
                                "\(backend) \(threads) threads \(m)×\(n)×\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")"
                                    + " alpha \(alpha) beta \(beta)")
                        }
                    }
                }
            }
        }
    }

    /// Products large enough to be split between two threads (`BLAS.parallelMultiplyAdds`): by columns
    /// (more columns than rows) and by rows, with block boundaries off the tiles' multiples.
    func testSplitProductsMatchTheFloat64Product() throws {
        var rng = SeededRNG(seed: 13)
        for (m, n, k) in [(100, 700, 250), (700, 90, 270)] {
            XCTAssertGreaterThanOrEqual(m * n * k, BLAS.parallelMultiplyAdds)
            for backend in BLAS.GEMMBackend.allCases.filter(\.isAvailable) {
                for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                    let problem = Problem(m: m, n: n, k: k, transA: transA, transB: transB, padding: 3, rng: &rng)
                    let worst = BLAS.withThreads(2) { problem.worstError(alpha: -2, beta: 0.25, backend: backend) }
                    XCTAssertLessThanOrEqual(
                        worst, 1, "\(backend) \(m)×\(n)×\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")")
                }
            }
        }
    }

    /// With beta 0 the callers pass uninitialised output (`[Float].uninitialized`): C must not be read.
    func testBetaZeroNeverReadsC() throws {
        var rng = SeededRNG(seed: 12)
        for backend in BLAS.GEMMBackend.allCases.filter(\.isAvailable) {
            for (m, n, k) in [(20, 70, 30), (70, 5, 30), (30, 30, 0)] {
                let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
                let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
                var c = [Float](repeating: .nan, count: m * n)
                BLAS.gemm(m: m, n: n, k: k, a: a, b: b, c: &c, using: backend)
                XCTAssertFalse(c.contains { $0.isNaN }, "\(backend) \(m)×\(n)×\(k)")
                if k == 0 { XCTAssertEqual(c, [Float](repeating: 0, count: m * n)) }
            }
        }
    }

    func testOpenBLASCanBeForcedAndAVX512IsTheDefaultWhereAvailable() {
        if ProcessInfo.processInfo.environment["CMC_GEMM"] == "openblas" {
            XCTAssertEqual(BLAS.gemmBackend, .openblas)
        } else {
            XCTAssertEqual(BLAS.gemmBackend, CPUFeatures.avx512VNNI ? .avx512 : .openblas)
        }
    }

    /// op(A)·op(B) with random operands stored with leading dimensions `padding` wider than needed.
    struct Problem {
        let m: Int, n: Int, k: Int
        let transA: Bool, transB: Bool
        let lda: Int, ldb: Int, ldc: Int
        let a: [Float], b: [Float], c: [Float]

        init(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, padding: Int, rng: inout SeededRNG) {
            (self.m, self.n, self.k, self.transA, self.transB) = (m, n, k, transA, transB)
            lda = (transA ? m : k) + padding
            ldb = (transB ? k : n) + padding
            ldc = n + padding
            func values(_ count: Int, _ rng: inout SeededRNG) -> [Float] {
                (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
            }
            a = values((transA ? k : m) * lda, &rng)
            b = values((transB ? n : k) * ldb, &rng)
            c = values(m * ldc, &rng)
        }

        /// The largest error of `gemm` over the elements of C, in units of the float32 bound
        /// `(k + 2)·ε·(|alpha|·Σ_p |a_ip·b_pj| + |beta·c_ij|)`; the padding between rows of C must stay untouched
        /// (any change there counts as infinite error).
        func worstError(alpha: Float, beta: Float, backend: BLAS.GEMMBackend) -> Double {
            var out = c
            BLAS.gemm(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                beta: beta, c: &out, ldc: ldc, using: backend)
            var worst = 0.0
            for i in 0..<m {
                for j in n..<ldc where out[i * ldc + j] != c[i * ldc + j] { return .infinity }
                for j in 0..<n {
                    var (sum, magnitude) = (0.0, 0.0)
                    for p in 0..<k {
                        let x = Double(transA ? a[p * lda + i] : a[i * lda + p])
                        let y = Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                        sum += x * y
                        magnitude += abs(x * y)
                    }
                    let old = Double(c[i * ldc + j])
                    let exact = Double(alpha) * sum + Double(beta) * old
                    let bound =
                        Double(k + 2) * Double(Float.ulpOfOne)
                        * (abs(Double(alpha)) * magnitude + abs(Double(beta) * old))
                        + Double(Float.leastNormalMagnitude)
                    worst = max(worst, abs(Double(out[i * ldc + j]) - exact) / bound)
                }
            }
            return worst
        }
    }
}
