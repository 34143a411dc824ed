import Foundation

/// The one-screen summary printed at the end of an experiment and saved as `summary.txt`.
public enum ExperimentSummary {
    public static func render(_ r: ExperimentResults, config: ExperimentConfig) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%6.2f", $0 * 100) } ?? "     –" }
        var s =
            "── \(r.name): \(r.dataset), train \(r.counts["train"] ?? 0) / val \(r.counts["val"] ?? 0) / test \(r.counts["test"] ?? 0) ──\n"
        s += "stage              val acc  val F1  test acc test F1  paper(test)  wall\n"
        let order = ExperimentConfig.Stage.displayOrder.map(\.rawValue)
        for key in order {
            guard let st = r.stages[key] else { continue }
            let paper = r.dataset == "utd-mhad" ? PaperResults.utdMHADTestAccuracy[key] : nil
            // %@ ignores field widths on Linux: pad by hand.
            s += key.padding(toLength: 18, withPad: " ", startingAt: 0)
            s += String(
                format: " %@  %@  %@  %@     %@  %@\n", pct(st.val?.accuracy), pct(st.val?.macro_f1),
                pct(st.test?.accuracy), pct(st.test?.macro_f1), pct(paper), ProgressReporter.format(st.wallSeconds))
            for n in st.notes { s += "    \(n)\n" }
        }
        for (method, rows) in r.semiSupervised.sorted(by: { $0.key < $1.key }) {
            s +=
                "semi-supervised \(method): "
                + rows.map {
                    String(format: "%g%% %.1f", $0.fraction * 100, ($0.testAccuracyMean ?? $0.valAccuracyMean) * 100)
                }.joined(separator: ", ") + " (\(rows.first?.testAccuracyMean == nil ? "val" : "test") accuracy)\n"
        }
        for (method, parts) in r.retrieval.sorted(by: { $0.key < $1.key }) {
            s +=
                "retrieval \(method) mAP: "
                + ["inertial", "skeleton", "fused"].compactMap { k in
                    parts[k].map { String(format: "%@ %.3f (P@1 %.3f)", k, $0.mAP, $0.precisionAtK["P@1"] ?? .nan) }
                }.joined(separator: ", ") + "\n"
        }
        if let b = r.bundle { s += "model bundle: \(b)\n" }
        return s
    }
}
