import CMCDaemon
import Foundation

/// Turns cmcd's Prometheus counters into the soak report's daemon section, and decides the verdict.
enum SoakMetrics {
    static func daemon(from s: PrometheusScrape, exit: Int32?) -> SoakReport.Daemon {
        let received = s.breakdown("cmc_frames_received_total", by: "stream")
        let dropped = s.breakdown("cmc_frames_dropped_total", by: "reason")
        let malformed = s.breakdown("cmc_frames_malformed_total", by: "reason")
        var handshakes: [String: Double] = [:]
        for sample in s.samples where sample.name == "cmc_handshakes_total" && sample.value != 0 {
            handshakes["\(sample.labels["socket"] ?? "?") \(sample.labels["outcome"] ?? "?")", default: 0] +=
                sample.value
        }
        return SoakReport.Daemon(
            received: received,
            buffered: received.values.reduce(0, +) - dropped.values.reduce(0, +) - malformed.values.reduce(0, +),
            dropped: dropped, malformed: malformed, lostUpstream: s.sum("cmc_frames_lost_total"),
            samplesRefused: s.sum("cmc_samples_refused_total"),
            clockResyncs: s.sum("cmc_clock_resyncs_total"),
            windowsInferred: s.breakdown("cmc_windows_inferred_total", by: "modalities"),
            windowsSkipped: s.breakdown("cmc_windows_skipped_total", by: "reason"),
            labelsPublished: s.sum("cmc_labels_published_total"),
            reloads: s.sum("cmc_classifier_reloads_total"), reloadFailures: s.sum("cmc_model_reload_failures_total"),
            handshakes: handshakes,
            exitStatus: exit)
    }

    static func empty(exit: Int32?) -> SoakReport.Daemon {
        SoakReport.Daemon(
            received: [:], buffered: 0, dropped: [:], malformed: [:], lostUpstream: 0, samplesRefused: 0,
            clockResyncs: 0,
            windowsInferred: [:], windowsSkipped: [:], labelsPublished: 0, reloads: 0, reloadFailures: 0,
            handshakes: [:], exitStatus: exit)
    }

    /// Everything that makes the soak a failure.
    static func problems(
        _ d: SoakReport.Daemon, sent: SoakSendCounts, labels: SoakLabels, reloads: [SoakReport.Reload],
        memory: SoakReport.Memory
    ) -> [String] {
        var p: [String] = []
        if d.exitStatus != 0 {
            p.append("cmcd did not exit cleanly on SIGTERM (status \(d.exitStatus.map { "\($0)" } ?? "none"))")
        }
        if labels.received == 0 { p.append("no label received") }
        if let errors = d.windowsSkipped["classifier_error"], errors > 0 {
            p.append("\(Int(errors)) windows failed in the classifier")
        }
        if sent.floodBursts > 0 && d.dropped["rate_limit"] ?? 0 == 0 { p.append("the flood was never rate-limited") }
        for r in reloads where !(r.outcome == "reloaded" || r.outcome == "rejected as expected") {
            p.append("reload \(r.kind): \(r.outcome)")
        }
        if memory.grew { p.append("cmcd's memory grew") }
        return p
    }
}

extension SoakMetrics {
    /// What makes the attacks a failure: an attack that did not happen (nothing was tested), an oversized
    /// message whose sender was not dropped, a scrape that failed under the /metrics attack, and a
    /// well-behaved subject that lost labels or went without them longer than a dropout explains.
    static func problems(_ a: SoakAttacks, labels: SoakLabels, options o: SoakOptions) -> [String] {
        var p: [String] = []
        if o.oversizeEverySeconds > 0 {
            let o = a.oversize
            if o.peers == 0 { p.append("no oversized message was sent (\(o.notJoined) publishers never joined)") }
            if o.dropped < o.peers {
                p.append("\(o.peers - o.dropped) of \(o.peers) oversize senders were not dropped")
            }
        }
        if o.squatRate > 0 && o.floodBurstSeconds > 0 && a.squat.frames == 0 { p.append("the squatters sent nothing") }
        if o.scrapeEverySeconds > 0 {
            if a.scrapes.scrapes == 0 { p.append("/metrics was never scraped") }
            if a.scrapes.failures > 0 {
                p.append(
                    "\(a.scrapes.failures) of \(a.scrapes.scrapes) scrapes failed under the /metrics attack "
                        + "(\(a.scrapes.errors.joined(separator: ", ")))")
            }
        }
        if o.slowlorisClients > 0 && a.http.slowlorisCutOff == 0 {
            p.append("the slowloris clients were never cut off")
        }
        if labels.wellBehavedSubjects < o.subjects {
            p.append("only \(labels.wellBehavedSubjects) of \(o.subjects) well-behaved subjects got labels")
        }
        if labels.wellBehavedSequenceGaps > 0 {
            p.append("\(labels.wellBehavedSequenceGaps) label gaps for well-behaved subjects")
        }
        if labels.longestSilenceSeconds > o.labelSilenceLimitSeconds {
            p.append(
                String(
                    format: "subject %u went %.1f s without a label (limit %.0f s)",
                    labels.longestSilenceSubject, labels.longestSilenceSeconds, o.labelSilenceLimitSeconds))
        }
        return p
    }
}

/// Whether cmcd's resident memory grew over the soak, beyond filling its buffers.
enum SoakMemory {
    /// Judged on the second half of the run — after the warm-up filled the buffers and after the reloads
    /// (a model loaded next to the old one leaves the heap a few MiB larger once, which is not growth):
    /// from the start of the second half to the end, each side taking its lowest of three samples (a batch
    /// in flight is a momentary peak), more than max(8 MiB, 5 %), or (runs of 5 minutes or more) a trend above
    /// 1 % per minute.
    static func assess(start: Int, end: Int, peak: Int, samples: [[Double]], warmup: Double, seconds: Double)
        -> SoakReport.Memory
    {
        let warm = Int(samples.filter { $0[0] >= warmup }.prefix(3).map { $0[1] }.min() ?? Double(start))
        let half = samples.filter { $0[0] >= seconds / 2 }
        let steady = Int(half.prefix(3).map { $0[1] }.min() ?? Double(warm))
        let settled = Int(samples.suffix(3).map { $0[1] }.min() ?? Double(end))
        var slope = 0.0
        if half.count >= 3 {
            let n = Double(half.count)
            let mx = half.map { $0[0] }.reduce(0, +) / n
            let my = half.map { $0[1] }.reduce(0, +) / n
            let sxy = half.map { ($0[0] - mx) * ($0[1] - my) }.reduce(0, +)
            let sxx = half.map { ($0[0] - mx) * ($0[0] - mx) }.reduce(0, +)
            slope = sxx > 0 ? sxy / sxx * 60 : 0
        }
        // A trend needs minutes of samples; over a quick run's 30 s the batches in flight are noise.
        let grew = settled - steady > max(8 * 1024, steady / 20) || (seconds >= 300 && slope > Double(steady) * 0.01)
        return SoakReport.Memory(
            startKiB: start, warmKiB: warm, steadyKiB: steady, endKiB: end, peakKiB: peak, slopeKiBPerMinute: slope,
            samples: samples, grew: grew)
    }
}
