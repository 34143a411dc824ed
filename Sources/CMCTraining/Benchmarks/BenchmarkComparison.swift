import Foundation

/// `cmc-bench engine` beside any number of `tools/bench_torch.py` results (same keys; e.g. Debian's torch
/// 1.13 and the package index's CPU wheel), one column per run, with every ratio oriented so that > 1
/// means cmc is better.
public enum BenchmarkComparison {
    /// One PyTorch result: its label (torch version and where it came from) and its figures.
    public struct Torch {
        public var label: String
        public var inference: [String: [String: Double]]
        public var trainSamplesPerSecond: Double
        /// Absent from results of `tools/bench_torch.py` before the CMC-CMKM step was measured.
        public var trainCMKMSamplesPerSecond: Double?
        /// Absent from results before the SimCLR steps were measured.
        public var trainSimCLRInertialSamplesPerSecond: Double?
        public var trainSimCLRSkeletonSamplesPerSecond: Double?
        public var sgemm: Double?

        public init(json: Data, source: String) throws {
            guard let t = try JSONSerialization.jsonObject(with: json) as? [String: Any],
                let inference = t["inference_ms"] as? [String: [String: Double]],
                let train = t["train_samples_per_s"] as? Double
            else {
                throw CocoaError(
                    .fileReadCorruptFile,
                    userInfo: [NSLocalizedDescriptionKey: "\(source): not a tools/bench_torch.py result"])
            }
            label = "torch " + (t["torch_version"] as? String ?? "?")
            self.inference = inference
            trainSamplesPerSecond = train
            trainCMKMSamplesPerSecond = t["train_cmkm_samples_per_s"] as? Double
            trainSimCLRInertialSamplesPerSecond = t["train_simclr_inertial_samples_per_s"] as? Double
            trainSimCLRSkeletonSamplesPerSecond = t["train_simclr_skeleton_samples_per_s"] as? Double
            sgemm = t["sgemm_gflops"] as? Double
        }
    }

    public static func table(ours: EngineBenchmark, torch: [Torch]) -> String {
        let header = torch.map { $0.label.padding(toLength: 14, withPad: " ", startingAt: 0) + "  ratio" }
        var s =
            "                          cmc         " + header.joined(separator: "     ")
            + "   (ratio > 1: cmc better)\n"
        func row(_ name: String, _ mine: Double, unit: String, theirs: (Torch) -> Double?, lowerIsBetter: Bool) {
            s += name.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%8.2f %@", mine, unit)
            for t in torch {
                guard let value = theirs(t) else {
                    s += "          n/a         "
                    continue
                }
                let ratio = lowerIsBetter ? value / mine : mine / value
                s += String(format: "  %9.2f %@ %5.2f×", value, unit, ratio)
            }
            s += "\n"
        }
        for k in ["inertial", "skeleton", "both"] {
            for q in ["p50", "p99"] {
                guard let p = ours.inference_ms[k] else { continue }
                row(
                    "batch-1 \(k) \(q)", q == "p50" ? p.p50 : p.p99, unit: "ms", theirs: { $0.inference[k]?[q] },
                    lowerIsBetter: true)
            }
        }
        row(
            "train samples/s", ours.train_samples_per_s, unit: "/s", theirs: { $0.trainSamplesPerSecond },
            lowerIsBetter: false)
        row(
            "train CMKM samples/s", ours.train_cmkm_samples_per_s, unit: "/s",
            theirs: { $0.trainCMKMSamplesPerSecond }, lowerIsBetter: false)
        row(
            "train SimCLR inertial/s", ours.train_simclr_inertial_samples_per_s, unit: "/s",
            theirs: { $0.trainSimCLRInertialSamplesPerSecond }, lowerIsBetter: false)
        row(
            "train SimCLR skeleton/s", ours.train_simclr_skeleton_samples_per_s, unit: "/s",
            theirs: { $0.trainSimCLRSkeletonSamplesPerSecond }, lowerIsBetter: false)
        row("sgemm GFLOP/s (2 thr)", ours.sgemm_gflops, unit: "GF", theirs: { $0.sgemm }, lowerIsBetter: false)
        return s
    }
}
