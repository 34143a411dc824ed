import CMCCore
import CMCTensor
import Foundation

/// `cmc-bench engine --gemm-shapes`: GFLOP/s of `BLAS.gemm` on each backend this CPU runs, at the products
/// that dominate the benchmark's training steps and batch-1 inference, on 1 and 2 threads.
public enum GEMMShapeBenchmark {
    public struct Shape: Sendable, CustomStringConvertible {
        public var transA: Bool
        public var transB: Bool
        public var m: Int
        public var n: Int
        public var k: Int
        /// What it is in the step.
        public var role: String

        public var description: String {
            "\(transA ? "T" : "N")\(transB ? "T" : "N") \(m)×\(n)×\(k)"
        }

        init(_ op: String, _ m: Int, _ n: Int, _ k: Int, _ role: String) {
            (transA, transB) = (op.first == "T", op.last == "T")
            (self.m, self.n, self.k, self.role) = (m, n, k, role)
        }
    }

    /// Recorded from `cmc-bench engine --profile train…` runs (a temporary log in `BLAS.gemm`, 2026-12-03):
    /// together 60–90 % of each step's multiply-adds.
    public static let shapes: [Shape] = [
        Shape("NT", 2816, 2048, 128, "CMC inertial feed-forward, forward"),
        Shape("NT", 2816, 128, 2048, "CMC inertial feed-forward, forward"),
        Shape("NN", 2816, 2048, 128, "CMC inertial feed-forward, input gradient"),
        Shape("TN", 2048, 128, 2816, "CMC inertial feed-forward, weight gradient"),
        Shape("NT", 11264, 2048, 128, "SimCLR inertial feed-forward, forward"),
        Shape("NN", 11264, 128, 2048, "SimCLR inertial feed-forward, input gradient"),
        Shape("TN", 128, 2048, 11264, "SimCLR inertial feed-forward, weight gradient"),
        Shape("NT", 44, 44, 64, "attention scores"),
        Shape("NN", 44, 64, 44, "attention values"),
        Shape("NN", 32, 1920, 192, "skeleton conv, forward"),
        Shape("NN", 32, 8640, 60, "skeleton conv (kernel rows), forward"),
        Shape("NT", 32, 60, 8640, "skeleton conv (kernel rows), weight gradient"),
        Shape("TN", 60, 8640, 32, "skeleton conv (kernel rows), input gradient"),
        Shape("NT", 32, 192, 1920, "skeleton conv, weight gradient"),
        Shape("TN", 192, 1920, 32, "skeleton conv, input gradient"),
        Shape("NN", 64, 5382, 96, "skeleton conv (kernel rows), forward"),
        Shape("NT", 64, 96, 5382, "skeleton conv (kernel rows), weight gradient"),
        Shape("NN", 128, 880, 576, "skeleton conv5, forward"),
        Shape("NT", 128, 576, 880, "skeleton conv5, weight gradient"),
        Shape("TN", 576, 880, 128, "skeleton conv5, input gradient"),
        Shape("NT", 44, 2048, 128, "batch-1 inertial feed-forward"),
        Shape("NN", 32, 1380, 180, "batch-1 skeleton conv"),
        Shape("NN", 256, 6, 1152, "batch-1 skeleton conv6"),
        Shape("NN", 1024, 1024, 1024, "the engine benchmark's sgemm"),
    ]

    /// GFLOP/s of one shape: the median of 7 rounds, each at least 20 ms of repeated products.
    public static func gflops(_ s: Shape, backend: BLAS.GEMMBackend, threads: Int) -> Double {
        var rng = SeededRNG(seed: 5)
        let a = Tensor.uniform([s.m * s.k], low: -1, high: 1, rng: &rng).storage
        let b = Tensor.uniform([s.k * s.n], low: -1, high: 1, rng: &rng).storage
        var c = [Float](repeating: 0, count: s.m * s.n)
        let flops = 2 * Double(s.m * s.n * s.k)
        func product() {
            BLAS.gemm(
                transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, a: a, b: b, c: &c, using: backend)
        }
        return BLAS.withThreads(threads) {
            let once = MonotonicClock.measure(product)
            let repeats = max(1, Int(0.02 / max(once, 1e-7)))
            let rounds = (0..<7).map { _ in
                MonotonicClock.measure { for _ in 0..<repeats { product() } } / Double(repeats)
            }
            return flops / median(rounds) / 1e9
        }
    }

    /// `shapes`, or those of `CMC_GEMM_SHAPES` (`NT 44x2048x128,NN 32x1380x180`) when tuning a kernel.
    static func selectedShapes() -> [Shape] {
        guard let list = ProcessInfo.processInfo.environment["CMC_GEMM_SHAPES"] else { return shapes }
        return list.split(separator: ",").compactMap { item in
            let parts = item.split(whereSeparator: { $0 == " " || $0 == "x" || $0 == "×" }).map(String.init)
            guard parts.count == 4, let m = Int(parts[1]), let n = Int(parts[2]), let k = Int(parts[3]) else {
                return nil
            }
            return Shape(parts[0], m, n, k, "CMC_GEMM_SHAPES")
        }
    }

    /// One line per shape: GFLOP/s of each backend on 1 and 2 threads, the backends interleaved shape by shape.
    public static func run(log: (String) -> Void) {
        Runtime.configureAllocatorForTraining()
        let backends = BLAS.GEMMBackend.allCases.filter(\.isAvailable)
        let columns = [1, 2].flatMap { t in backends.map { "\($0.rawValue) \(t)t" } }
        log("shape".padding(toLength: 22, withPad: " ", startingAt: 0) + columns.map { pad($0) }.joined() + "  role")
        for s in selectedShapes() {
            let figures = [1, 2].flatMap { t in backends.map { gflops(s, backend: $0, threads: t) } }
            let line = s.description.padding(toLength: 22, withPad: " ", startingAt: 0)
            log(line + figures.map { pad(String(format: "%.1f", $0)) }.joined() + "  " + s.role)
        }
    }

    private static func pad(_ text: String) -> String {
        String(repeating: " ", count: max(0, 13 - text.count)) + text
    }
}
