import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// What `cmc-replay` prints at the end (one screen) and writes with `--json`.
public struct ReplayReport: Codable, Sendable, JSONReport {
    public var source: String
    public var speed: Double
    public var streams: Int
    public var clips: Int
    /// Length of the replayed timeline, and how long the replay took.
    public var timelineSeconds: Double
    public var wallSeconds: Double
    public var framesSent: [String: Int]
    public var labelsReceived: Int?
    public var evaluation: StreamEvaluation?
    /// The stream scores (also inside `evaluation`), at the top level where tools look for them.
    public var stream: StreamScores?
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case source, speed, streams, clips, evaluation, notes, stream
        case timelineSeconds = "timeline_seconds", wallSeconds = "wall_seconds", framesSent = "frames_sent",
            labelsReceived = "labels_received"
    }

    public init(
        source: String, speed: Double, streams: Int, clips: Int, timelineSeconds: Double, wallSeconds: Double,
        framesSent: [Modality: Int], labelsReceived: Int?, evaluation: StreamEvaluation?, notes: [String]
    ) {
        self.source = source
        self.speed = speed
        self.streams = streams
        self.clips = clips
        self.timelineSeconds = timelineSeconds
        self.wallSeconds = wallSeconds
        self.framesSent = Dictionary(uniqueKeysWithValues: framesSent.map { ($0.key.description, $0.value) })
        self.labelsReceived = labelsReceived
        self.evaluation = evaluation
        self.stream = evaluation?.stream
        self.notes = notes
    }

    public var summary: String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a" }
        var lines = ["── cmc-replay summary " + String(repeating: "─", count: 50)]
        lines.append("source      \(source)")
        lines.append(
            String(
                format: "replayed    %d streams, %d clips, %.1f s of timeline in %.1f s (speed %@)", streams, clips,
                timelineSeconds,
                wallSeconds, speed.isFinite && speed > 0 ? String(format: "%gx", speed) : "max"))
        lines.append(
            "frames      "
                + framesSent.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if let e = evaluation {
            lines.append(
                "labels      \(e.labels) received: \(e.scored) scored, \(e.transition) in transitions, \(e.idle) in idle gaps"
                    + (e.foreignLabels > 0 ? ", \(e.foreignLabels) for other subjects" : ""))
            lines.append(
                "accuracy    \(pct(e.accuracy)) published label, \(pct(e.rawAccuracy)) raw window decision, "
                    + "\(pct(e.clipVoteAccuracy)) per clip (majority of \(e.clipsScored) clips)")
            lines.append(
                "unknown     \(pct(e.unknownRate)) of scored windows;  fallback (one modality) \(e.fallbackLabels) windows"
            )
            lines.append("latency     \(e.latencyMs.line)  (last frame sent → label received)")
            lines.append(
                "daemon      end-to-end \(e.daemonEndToEndMs.line);  inference p50 \(String(format: "%.1f", e.inferenceMs.p50)) ms"
            )
            lines.append(
                String(
                    format: "rules       scored = window ends inside a clip and covers ≥ %.0f %% of min(window, clip)",
                    e.minCoverage * 100))
            lines += e.notes.map { "note        \($0)" }
        } else if let n = labelsReceived {
            lines.append("labels      \(n) received")
        }
        if let st = stream {
            lines.append(
                "windows     \(pct(st.windowAccuracy)) right at the window centre (\(st.windowsScored) scored, "
                    + "\(st.idleWindows) of them idle)")
            lines.append(
                "actions     \(st.events) events for \(st.clips) clips: precision \(pct(st.eventPrecision)), recall "
                    + "\(pct(st.eventRecall)), F1 \(pct(st.eventF1)) (IoU ≥ \(st.iouThreshold), same label); "
                    + "\(st.clipsDetected) clips found")
            lines.append(
                "idle        "
                    + (st.idleFalseEventsPerMin.map { String(format: "%.2f false events per minute", $0) } ?? "n/a")
                    + String(format: " over %.1f idle minutes", st.idleMinutes))
            if let f = st.focus {
                lines.append(
                    "focus       \(f.events) events for \(f.clips) clips of \(f.classes.joined(separator: ", ")): "
                        + "precision \(pct(f.precision)) / recall \(pct(f.recall)) same label, "
                        + "\(pct(f.lenient.precision)) / \(pct(f.lenient.recall)) any of them")
            }
            lines.append("event lat.  \(st.eventLatencyMs.line)  (clip's last frame sent → action event received)")
            if let c = st.clipAccuracy {
                lines.append("clips       \(pct(c)) of the same clips classified whole, offline")
            }
        }
        lines += notes.map { "note        \($0)" }
        return lines.joined(separator: "\n")
    }
}
