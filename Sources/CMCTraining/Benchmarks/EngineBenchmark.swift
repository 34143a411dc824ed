import CMCCore
import CMCModel
import CMCTensor
import Foundation

/// The engine benchmark behind `cmc-bench engine`: the same shapes as `tools/bench_torch.py`, so the
/// two JSON files can be compared key by key.
public struct EngineBenchmark: Codable, Sendable, JSONReport {
    public struct Percentiles: Codable, Sendable {
        public var p50: Double
        public var p99: Double
    }

    public var sgemm_gflops: Double
    public var sgemm_gflops_1thread: Double
    public var inference_ms: [String: Percentiles]
    /// The same encoders with linear and convolution layers in int8 (`Module.quantizeForInference()`; AVX512-VNNI
    /// when the CPU has it, else plain Swift). Nil in results from before it existed.
    public var inference_int8_ms: [String: Percentiles]?
    public var train_samples_per_s: Double
    public var train_step_ms: Double
    /// The CMC-CMKM step (teachers' forward, mining and the CMKM loss included), same shapes.
    public var train_cmkm_samples_per_s: Double
    public var train_cmkm_step_ms: Double
    /// SimCLR steps of one encoder at the UTD experiment's batch sizes (inertial 128, skeleton 32; two views of
    /// each sample in one pass); samples/s counts samples, not views.
    public var train_simclr_inertial_samples_per_s: Double
    public var train_simclr_inertial_step_ms: Double
    public var train_simclr_skeleton_samples_per_s: Double
    public var train_simclr_skeleton_step_ms: Double

    /// What `cmc-bench engine --profile` runs under a profiler.
    public enum ProfileTarget: String, CaseIterable, Sendable {
        /// The batch-1 forward of one encoder (1 thread), float32 or int8.
        case inertial, skeleton
        case inertialInt8 = "inertial-int8", skeletonInt8 = "skeleton-int8"
        /// Training steps at the benchmark's shapes (2 cores).
        case train, trainCMKM = "train-cmkm"
        case trainSimCLRInertial = "train-simclr-inertial", trainSimCLRSkeleton = "train-simclr-skeleton"

        var trainingStep: TrainingStepBench.Loss? {
            switch self {
            case .inertial, .skeleton, .inertialInt8, .skeletonInt8: nil
            case .train: .cmc
            case .trainCMKM: .cmkm
            case .trainSimCLRInertial: .simclrInertial
            case .trainSimCLRSkeleton: .simclrSkeleton
            }
        }
    }

    /// Profiling aid: runs only one part of the benchmark, `iterations` times.
    public static func profile(_ target: ProfileTarget, iterations: Int) {
        Runtime.configureAllocatorForTraining()
        if let loss = target.trainingStep {
            BLAS.setThreads(2)
            let bench = TrainingStepBench(loss, seed: 28)
            for _ in 0..<iterations { bench.step() }
            return
        }
        BLAS.setThreads(1)
        var rng = SeededRNG(seed: 28)
        let encoder: (Variable) -> Variable
        let x: Variable
        let int8 = target == .inertialInt8 || target == .skeletonInt8
        if target == .skeleton || target == .skeletonInt8 {
            let e = SkeletonEncoder(rng: &rng)
            e.eval()
            if int8 { e.quantizeForInference() }
            encoder = { e($0) }
            x = Variable(.normal([1, 3, 50, 20], rng: &rng))
        } else {
            let e = InertialEncoder(rng: &rng)
            e.eval()
            if int8 { e.quantizeForInference() }
            encoder = { e($0) }
            x = Variable(.normal([1, 6, 50], rng: &rng))
        }
        GradMode.withoutGrad { for _ in 0..<iterations { _ = encoder(x) } }
    }

    public static func run(quick: Bool, log: (String) -> Void) -> EngineBenchmark {
        Runtime.configureAllocatorForTraining()
        let gemm2 = sgemm(threads: 2, repeats: quick ? 3 : 10)
        let gemm1 = sgemm(threads: 1, repeats: quick ? 3 : 10)
        log(String(format: "sgemm 1024³: %.1f GFLOP/s (2 threads), %.1f (1 thread)", gemm2, gemm1))
        var rng = SeededRNG(seed: 28)
        let inertial = InertialEncoder(rng: &rng)
        let skeleton = SkeletonEncoder(rng: &rng)
        let inference = measureInference(inertial, skeleton, iterations: quick ? 50 : 500, rng: &rng)
        for k in ["inertial", "skeleton", "both"] {
            log(
                String(
                    format: "inference %@ batch 1: p50 %.3f ms, p99 %.3f ms", k, inference[k]!.p50, inference[k]!.p99))
        }
        var quantisedRNG = SeededRNG(seed: 28)
        let int8Inertial = InertialEncoder(rng: &quantisedRNG)
        let int8Skeleton = SkeletonEncoder(rng: &quantisedRNG)
        int8Inertial.quantizeForInference()
        int8Skeleton.quantizeForInference()
        let int8 = measureInference(int8Inertial, int8Skeleton, iterations: quick ? 50 : 500, rng: &rng)
        for k in ["inertial", "skeleton", "both"] {
            log(
                String(
                    format: "inference %@ batch 1, int8: p50 %.3f ms, p99 %.3f ms", k, int8[k]!.p50,
                    int8[k]!.p99))
        }
        let steps = quick ? 3 : 15
        func train(_ bench: TrainingStepBench) -> (samplesPerSecond: Double, ms: Double) {
            let step = measureTraining(bench, steps)
            let batch = Double(bench.loss.batch)
            log(
                String(
                    format: "training %@ batch %d: %.1f ms/step, %.1f samples/s", bench.loss.rawValue,
                    bench.loss.batch, step * 1000, batch / step))
            return (batch / step, step * 1000)
        }
        let cmc = train(TrainingStepBench(.cmc, inertial: inertial, skeleton: skeleton, rng: &rng))
        let cmkm = train(TrainingStepBench(.cmkm, seed: 29))
        let simclrInertial = train(TrainingStepBench(.simclrInertial, seed: 30))
        let simclrSkeleton = train(TrainingStepBench(.simclrSkeleton, seed: 31))
        return EngineBenchmark(
            sgemm_gflops: gemm2, sgemm_gflops_1thread: gemm1, inference_ms: inference, inference_int8_ms: int8,
            train_samples_per_s: cmc.samplesPerSecond, train_step_ms: cmc.ms,
            train_cmkm_samples_per_s: cmkm.samplesPerSecond, train_cmkm_step_ms: cmkm.ms,
            train_simclr_inertial_samples_per_s: simclrInertial.samplesPerSecond,
            train_simclr_inertial_step_ms: simclrInertial.ms,
            train_simclr_skeleton_samples_per_s: simclrSkeleton.samplesPerSecond,
            train_simclr_skeleton_step_ms: simclrSkeleton.ms)
    }

    static func sgemm(threads: Int, repeats: Int) -> Double {
        BLAS.setThreads(threads)
        var rng = SeededRNG(seed: 1)
        let a = Tensor.uniform([1024, 1024], low: -1, high: 1, rng: &rng)
        let b = Tensor.uniform([1024, 1024], low: -1, high: 1, rng: &rng)
        _ = Kernels.matmul(a, b)
        let times = (0..<repeats).map { _ in MonotonicClock.measure { _ = Kernels.matmul(a, b) } }
        return 2 * pow(1024, 3) / median(times) / 1e9
    }

    static func measureInference(
        _ inertial: InertialEncoder, _ skeleton: SkeletonEncoder, iterations: Int,
        rng: inout SeededRNG
    ) -> [String: Percentiles] {
        BLAS.setThreads(1)
        inertial.eval()
        skeleton.eval()
        let xi = Variable(.normal([1, 6, 50], rng: &rng))
        let xs = Variable(.normal([1, 3, 50, 20], rng: &rng))
        func time(_ body: () -> Void) -> Percentiles {
            for _ in 0..<max(iterations / 10, 5) { body() }
            let ms = (0..<iterations).map { _ in MonotonicClock.measure(body) * 1000 }
            return Percentiles(p50: median(ms), p99: percentile(ms, 0.99))
        }
        return GradMode.withoutGrad {
            [
                "inertial": time { _ = inertial(xi) },
                "skeleton": time { _ = skeleton(xs) },
                "both": time {
                    _ = inertial(xi)
                    _ = skeleton(xs)
                },
            ]
        }
    }

    /// Median seconds per step over `steps` steps, after two warm-up steps, with 2 BLAS threads.
    static func measureTraining(_ bench: TrainingStepBench, _ steps: Int) -> Double {
        BLAS.setThreads(2)
        bench.step()
        bench.step()
        return median((0..<steps).map { _ in MonotonicClock.measure { bench.step() } })
    }

    public var summary: String {
        var s = "── cmc-bench engine ──\n"
        s += String(
            format: "sgemm 1024³          %7.1f GFLOP/s (2 threads)  %7.1f (1 thread)\n", sgemm_gflops,
            sgemm_gflops_1thread)
        for k in ["inertial", "skeleton", "both"] {
            let p = inference_ms[k]!
            s += "batch-1 " + k.padding(toLength: 12, withPad: " ", startingAt: 0)
            s += String(format: " p50 %7.3f ms   p99 %7.3f ms\n", p.p50, p.p99)
        }
        s += String(
            format: "train CMC batch 64   %7.1f samples/s (%.1f ms/step, 2 threads)\n", train_samples_per_s,
            train_step_ms)
        s += String(
            format: "train CMKM batch 64  %7.1f samples/s (%.1f ms/step, 2 threads)\n", train_cmkm_samples_per_s,
            train_cmkm_step_ms)
        s += String(
            format: "train SimCLR inertial %6.1f samples/s (%.1f ms/step, batch %d, 2 views, 2 cores)\n",
            train_simclr_inertial_samples_per_s, train_simclr_inertial_step_ms,
            TrainingStepBench.Loss.simclrInertial.batch)
        s += String(
            format: "train SimCLR skeleton %6.1f samples/s (%.1f ms/step, batch %d, 2 views, 2 cores)",
            train_simclr_skeleton_samples_per_s, train_simclr_skeleton_step_ms,
            TrainingStepBench.Loss.simclrSkeleton.batch)
        return s
    }
}

func median(_ xs: [Double]) -> Double { percentile(xs, 0.5) }

func percentile(_ xs: [Double], _ q: Double) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    let pos = q * Double(s.count - 1)
    let lo = Int(pos.rounded(.down))
    let hi = min(lo + 1, s.count - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
}
