import CMCCore
import CMCDaemon
import Foundation

/// Results of `cmc-bench soak`: what was sent, what cmcd did with it (its own Prometheus counters),
/// the labels a consumer received, reloads, and cmcd's memory over the run.
public struct SoakReport: Codable, Sendable, JSONReport {
    public struct Daemon: Codable, Sendable {
        /// `cmc_frames_received_total` per stream.
        public var received: [String: Double]
        /// Received minus dropped minus malformed: frames that reached the buffers.
        public var buffered: Double
        /// `cmc_frames_dropped_total` by reason, `cmc_frames_malformed_total` by reason.
        public var dropped: [String: Double]
        public var malformed: [String: Double]
        /// Frames missing from sequence numbers (reconnect slow joiners, HWM), samples refused in buffered frames.
        public var lostUpstream: Double
        public var samplesRefused: Double
        public var clockResyncs: Double
        public var windowsInferred: [String: Double]
        public var windowsSkipped: [String: Double]
        public var labelsPublished: Double
        public var reloads: Double
        public var reloadFailures: Double
        public var handshakes: [String: Double]
        public var exitStatus: Int32?

        enum CodingKeys: String, CodingKey {
            case received, buffered, dropped, malformed, reloads, handshakes
            case lostUpstream = "lost_upstream", samplesRefused = "samples_refused", clockResyncs = "clock_resyncs"
            case windowsInferred = "windows_inferred", windowsSkipped = "windows_skipped", labelsPublished =
                "labels_published"
            case reloadFailures = "reload_failures", exitStatus = "exit_status"
        }
    }

    public struct Memory: Codable, Sendable {
        public var startKiB: Int
        /// After the warm-up (buffers filled).
        public var warmKiB: Int
        /// At the start of the second half, after the reloads: the baseline growth is measured from.
        public var steadyKiB: Int
        public var endKiB: Int
        public var peakKiB: Int
        /// Least-squares slope over the second half of the run.
        public var slopeKiBPerMinute: Double
        public var samples: [[Double]]
        public var grew: Bool

        enum CodingKeys: String, CodingKey {
            case samples, grew
            case startKiB = "start_kib", warmKiB = "warm_kib", steadyKiB = "steady_kib", endKiB = "end_kib", peakKiB =
                "peak_kib", slopeKiBPerMinute = "slope_kib_per_minute"
        }
    }

    public struct Reload: Codable, Sendable {
        public var at: Double
        public var kind: String
        public var outcome: String
        public var seconds: Double
    }

    public var seconds: Double
    public var subjects: Int
    public var speed: Double
    public var clock: String
    public var curve: Bool
    public var model: String
    public var sent: SoakSendCounts
    public var attacks: SoakAttacks
    public var daemon: Daemon
    public var labels: SoakLabels
    public var reloads: [Reload]
    public var memory: Memory
    public var cpuCores: Double
    public var passed: Bool
    public var problems: [String]

    enum CodingKeys: String, CodingKey {
        case seconds, subjects, speed, clock, curve, model, sent, attacks, daemon, labels, reloads, memory, passed
        case problems
        case cpuCores = "cmcd_cpu_cores"
    }

    public var summary: String {
        func n(_ x: Double) -> String { x >= 1e6 ? String(format: "%.2fM", x / 1e6) : String(Int(x.rounded())) }
        func list(_ d: [String: Double]) -> String {
            d.isEmpty
                ? "none" : d.sorted { $0.value > $1.value }.map { "\($0.key) \(n($0.value))" }.joined(separator: ", ")
        }
        func mib(_ kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }
        let sentFrames = Double(sent.frames.values.reduce(0, +))
        var lines = ["── cmc-bench soak " + String(repeating: "─", count: 54)]
        lines.append(
            String(
                format: "run          %.0f s, %d subjects at %gx real time, %@ clock%@; %@", seconds, subjects, speed,
                clock,
                curve ? ", CURVE" : "", model))
        lines.append(
            "sent         \(n(sentFrames)) sensor frames (\(list(sent.frames.mapValues(Double.init)))); flood \(n(Double(sent.floodFrames)))"
                + " + \(n(Double(sent.floodMalformed))) malformed in \(sent.floodBursts) bursts")
        lines.append(
            "  trouble    \(sent.dropouts) dropouts (\(sent.reconnects) reconnects, \(sent.sequenceRestarts) sequence restarts), "
                + "\(sent.clockJumps) clock jumps, \(sent.reordered) reordered, \(sent.duplicates) duplicated")
        let o = attacks.oversize
        let h = attacks.http
        let sc = attacks.scrapes
        lines.append(
            "attacks      oversize: \(o.peers) publishers sent \(mib(o.messageBytes / 1024)) messages, "
                + "\(o.dropped) dropped by cmcd (\(o.notJoined) never joined)")
        let squat = attacks.squat
        let refused = n(daemon.dropped["subject_limit"] ?? 0)
        lines.append(
            "             squatters: \(n(Double(squat.frames))) frames for \(squat.ids) invented ids in "
                + "\(squat.bursts) bursts; cmcd refused \(refused) (subject_limit)")
        lines.append(
            "             /metrics: \(h.idleConnections) idle connections (\(n(Double(h.idleOpened))) opened), "
                + "\(h.slowlorisClients) slowloris clients (\(h.slowlorisBytes) bytes, "
                + "cut off \(h.slowlorisCutOff) times)")
        lines.append(
            "  scrapes    \(sc.scrapes - sc.failures) of \(sc.scrapes) succeeded under attack; \(sc.milliseconds.line)")
        lines.append("cmcd         received \(list(daemon.received)); buffered \(n(daemon.buffered))")
        lines.append("  dropped    \(list(daemon.dropped))")
        lines.append("  malformed  \(list(daemon.malformed))")
        lines.append(
            "  upstream   \(n(daemon.lostUpstream)) frames lost (sequence gaps), \(n(daemon.samplesRefused)) samples refused, "
                + "\(n(daemon.clockResyncs)) clock re-syncs")
        lines.append("windows      inferred \(list(daemon.windowsInferred)); skipped \(list(daemon.windowsSkipped))")
        lines.append(
            "labels       published \(n(daemon.labelsPublished)), received \(labels.received) for \(labels.subjects) subjects "
                + "(\(labels.fallback) fallback, \(labels.unknown) unknown, \(labels.sequenceGaps) seq gaps)")
        lines.append(
            String(
                format: "well-behaved %d of %d subjects labelled, %d label gaps, longest silence %.1f s "
                    + "(subject %u; %.1f s with a clock step); %d invented ids labelled", labels.wellBehavedSubjects,
                subjects, labels.wellBehavedSequenceGaps, labels.longestSilenceSeconds,
                labels.longestSilenceSubject, labels.longestSilenceAfterClockJumpSeconds, labels.otherSubjects))
        lines.append("latency      end-to-end \(labels.endToEndMs.line)")
        lines.append("             inference  \(labels.inferenceMs.line)")
        lines.append(
            "reloads      "
                + reloads.map { String(format: "%@ at %.0f s: %@ (%.1f s)", $0.kind, $0.at, $0.outcome, $0.seconds) }
                .joined(separator: "; ")
                + " — counters: \(n(daemon.reloads)) swapped, \(n(daemon.reloadFailures)) rejected")
        lines.append(
            String(
                format:
                    "memory       RSS %@ at start, %@ after warm-up, %@ at half time (after the reloads), %@ at the end",
                mib(memory.startKiB), mib(memory.warmKiB), mib(memory.steadyKiB), mib(memory.endKiB)))
        lines.append(
            String(
                format: "             2nd half %+.1f MiB, trend %+.0f KiB/min, peak %@ → %@",
                Double(memory.endKiB - memory.steadyKiB) / 1024,
                memory.slopeKiBPerMinute, mib(memory.peakKiB), memory.grew ? "GROWTH" : "no growth"))
        lines.append(
            String(
                format: "cmcd         %.2f cores on average; exit status %@", cpuCores,
                daemon.exitStatus.map { "\($0)" } ?? "none (killed)"))
        lines.append("verdict      " + (passed ? "PASS" : "FAIL: " + problems.joined(separator: "; ")))
        return lines.joined(separator: "\n")
    }
}
