import Foundation

/// Side-by-side figures of `cmc-bench engine` and `tools/bench_torch.py` (same keys), with ratios
/// oriented so that > 1 means cmc is better.
public enum BenchmarkComparison {
    public static func table(ours: EngineBenchmark, torchJSON: Data) throws -> String {
        guard let t = try JSONSerialization.jsonObject(with: torchJSON) as? [String: Any],
              let inf = t["inference_ms"] as? [String: [String: Double]],
              let train = t["train_samples_per_s"] as? Double else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "not a bench_torch.py result"])
        }
        var s = "                         cmc        PyTorch    ratio (cmc better when > 1)\n"
        for k in ["inertial", "skeleton", "both"] {
            for q in ["p50", "p99"] {
                guard let theirs = inf[k]?[q], let mine = q == "p50" ? ours.inference_ms[k]?.p50 : ours.inference_ms[k]?.p99 else { continue }
                s += "batch-1 " + "\(k) \(q)".padding(toLength: 16, withPad: " ", startingAt: 0)
                s += String(format: "%7.3f ms  %7.3f ms  %5.2f×\n", mine, theirs, theirs / mine)
            }
        }
        s += String(format: "train samples/s         %8.1f   %8.1f     %5.2f×\n", ours.train_samples_per_s, train, ours.train_samples_per_s / train)
        if let g = t["sgemm_gflops"] as? Double {
            s += String(format: "sgemm GFLOP/s (2 thr)   %8.1f   %8.1f     %5.2f×\n", ours.sgemm_gflops, g, ours.sgemm_gflops / g)
        }
        return s
    }
}
