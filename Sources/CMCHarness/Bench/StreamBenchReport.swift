import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// Results of `cmc-bench stream`, as JSON (`--json`) and as a one-screen summary.
public struct StreamBenchReport: Codable, Sendable, JSONReport {
    public struct Level: Codable, Sendable {
        public var subjects: Int
        public var passed: Bool
        /// Why it failed ("" when it passed).
        public var reason: String
        public var labels: Int
        public var expectedLabels: Int
        public var framesSent: Int
        public var framesDropped: Int
        public var framesLost: Int
        public var framesMalformed: Int
        public var windowsSkippedBusy: Int
        public var latencyMs: LatencyStats
        public var daemonEndToEndMs: LatencyStats
        /// Process CPU time over wall time while every subject streams (the scored span), in cores (daemon,
        /// sender and collector together).
        public var cpuCores: Double
        /// Where a window's time inside the daemon went, from its histograms (`cmc_queue_wait_seconds`,
        /// `cmc_inference_seconds`, `cmc_publish_wait_seconds`): mean and the upper bound of the p99 bucket.
        public var stagesMs: [String: StageTime]?

        public struct StageTime: Codable, Sendable {
            public var mean: Double
            public var p99Bound: Double
            enum CodingKeys: String, CodingKey {
                case mean
                case p99Bound = "p99_bound"
            }
            public init(_ h: Histogram.Snapshot) {
                mean = h.count > 0 ? h.sum / Double(h.count) * 1e3 : 0
                p99Bound = h.quantileUpperBound(0.99) * 1e3
            }
        }

        enum CodingKeys: String, CodingKey {
            case subjects, passed, reason, labels
            case expectedLabels = "expected_labels", framesSent = "frames_sent", framesDropped = "frames_dropped",
                framesLost = "frames_lost"
            case framesMalformed = "frames_malformed", windowsSkippedBusy = "windows_skipped_busy", latencyMs =
                "latency_ms"
            case daemonEndToEndMs = "daemon_end_to_end_ms", cpuCores = "cpu_cores", stagesMs = "stages_ms"
        }
    }

    public struct Accuracy: Codable, Sendable {
        public var dataset: String
        public var clips: Int
        /// Whole clips classified offline (the training protocol).
        public var clipAccuracy: Double
        public var stream: StreamEvaluation
        public var speed: Double
        public var lanes: Int

        enum CodingKeys: String, CodingKey {
            case dataset, clips, stream, speed, lanes
            case clipAccuracy = "clip_accuracy"
        }
    }

    public var model: String
    /// One subject: last frame of a window sent → its label received.
    public var latencyMs: LatencyStats
    /// Most simultaneous subjects sustained with no frame dropped, no window skipped and p99 < the limit.
    public var maxSubjects: Int
    public var p99LimitMs: Double
    /// Windows per second the classifier answers with nothing else running, one window per call, on 1, 2, …
    /// threads at once (keys: thread counts): the workers' ceiling. Fewer than k × one thread's on k threads
    /// (with k free cores) is contention between the workers.
    public var inferenceWindowsPerSecond: [String: Double]
    /// The same on one thread with several windows per call (keys: windows per call), as the workers batch
    /// under load.
    public var inferenceBatchWindowsPerSecond: [String: Double]
    public var levels: [Level]
    public var accuracy: Accuracy?
    public var settings: [String: String]
    public var host: [String: String]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case model, levels, accuracy, settings, host, notes
        case latencyMs = "latency_ms", maxSubjects = "max_subjects", p99LimitMs = "p99_limit_ms"
        case inferenceWindowsPerSecond = "inference_windows_per_s"
        case inferenceBatchWindowsPerSecond = "inference_batch_windows_per_s"
    }

    public var summary: String {
        var lines = ["── cmc-bench stream " + String(repeating: "─", count: 52)]
        lines.append("model        \(model)" + (settings["precision"].map { " (\($0))" } ?? ""))
        lines.append(
            "host         " + host.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append(
            "inference    "
                + inferenceWindowsPerSecond.sorted { Int($0.key) ?? 0 < Int($1.key) ?? 0 }.map {
                    String(format: "%.0f windows/s on %@ thread%@", $0.value, $0.key, $0.key == "1" ? "" : "s")
                }.joined(separator: ", ") + " (batch 1, both modalities, nothing else running)")
        if !inferenceBatchWindowsPerSecond.isEmpty {
            lines.append(
                "             "
                    + inferenceBatchWindowsPerSecond.sorted { Int($0.key) ?? 0 < Int($1.key) ?? 0 }.map {
                        String(format: "%.0f windows/s at batch %@", $0.value, $0.key)
                    }.joined(separator: ", ") + " (1 thread)")
        }
        lines.append("latency      1 subject: \(latencyMs.line)")
        lines.append(
            "capacity     max \(maxSubjects) subjects (zero frames dropped, zero windows skipped, p99 < \(Int(p99LimitMs)) ms)"
        )
        for l in levels {
            lines.append(
                String(
                    format:
                        "  %4d  %@  p50 %6.1f  p99 %6.1f ms  labels %d/%d  dropped %d lost %d busy %d  cpu %.2f cores%@",
                    l.subjects, l.passed ? "pass" : "FAIL", l.latencyMs.p50, l.latencyMs.p99, l.labels,
                    l.expectedLabels,
                    l.framesDropped, l.framesLost, l.windowsSkippedBusy, l.cpuCores, l.passed ? "" : "  (\(l.reason))"))
            if let stages = l.stagesMs, let q = stages["queue_wait"], let i = stages["inference"],
                let p = stages["publish_wait"]
            {
                lines.append(
                    String(
                        format: "        in the daemon, mean / p99 ≤: queued %.1f / %.0f, inference %.1f / %.0f, "
                            + "publishing %.1f / %.0f ms", q.mean, q.p99Bound, i.mean, i.p99Bound, p.mean, p.p99Bound))
            }
        }
        if let a = accuracy {
            func pct(_ x: Double?) -> String { x.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a" }
            lines.append(
                "accuracy     \(a.dataset), \(a.clips) clips: offline clips \(pct(a.clipAccuracy)); stream \(pct(a.stream.accuracy)) published, "
                    + "\(pct(a.stream.rawAccuracy)) raw windows, \(pct(a.stream.clipVoteAccuracy)) clip vote")
            if let st = a.stream.stream {
                lines.append(
                    "events       window accuracy \(pct(st.windowAccuracy)) at the window centre; \(st.events) action events for "
                        + "\(st.clips) clips: P \(pct(st.eventPrecision)), R \(pct(st.eventRecall)), F1 \(pct(st.eventF1)); "
                        + "latency \(st.eventLatencyMs.line)")
            }
        }
        lines += notes.map { "note         \($0)" }
        return lines.joined(separator: "\n")
    }
}
