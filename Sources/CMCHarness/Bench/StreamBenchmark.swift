import Logging
import CMCCore
import CMCDaemon
import CMCData
import CMCModel
import CMCStream
import CMCTensor
import Foundation

/// `cmc-bench stream`: the daemon's pipeline (configured as `cmcd` is by default, in this process,
/// over loopback TCP) under replayed load.
///
/// 1. **Latency**: one subject in real time; for each label, from the moment the frame completing its
///    window left the sender to the moment the label arrived.
/// 2. **Capacity**: N subjects at once (50 Hz IMU, 30 Hz skeleton, hop 0.5 s), N rising through
///    `levels`; a level passes with zero frames dropped or lost, zero windows skipped because the
///    subject's previous one was still in inference, ≥ 95 % of the expected labels, and p99 latency
///    under the limit. The search stops at the first failure.
/// 3. **Accuracy**: the dataset's validation clips classified whole (offline), then replayed as
///    continuous streams through the pipeline and scored (`StreamEvaluation`).
///
/// Sender, label collector and daemon share the machine's cores, as they would on one host.
public enum StreamBenchmark {
    public struct Options: Sendable {
        public var modelPath = DaemonConfig.defaultModelPath
        /// The encoders' arithmetic, as cmcd's `inference_precision`.
        public var precision = InferencePrecision.float32
        public var heads = Recognizer.HeadCombination.default
        public var levels = [25, 50, 100, 150, 200, 250, 300, 400, 500]
        public var measureSeconds = 10.0
        public var latencySeconds = 15.0
        public var p99LimitMs = 100.0
        public var workers = DaemonConfig().workers
        public var maxBatch = DaemonConfig().maxBatch
        public var hopSeconds = DaemonConfig().hopSeconds
        /// Dataset root for the accuracy part (nil: `$CMC_DATA_ROOT` or `../shared/data`).
        public var dataRoot: String?
        public var accuracy = true
        public var accuracySpeed = 4.0
        public var accuracyLanes = 8
        public init() {}
    }

    public static func run(_ options: Options, log: (String) -> Void) throws -> StreamBenchReport {
        BLAS.setThreads(1)
        Runtime.configureAllocator()
        let classifier = try BundleClassifier.load(
            path: options.modelPath, precision: options.precision, heads: options.heads)
        let meta = classifier.recognizer.bundle.metadata
        log(
            "model \(options.modelPath): \(meta.dataset.name), \(meta.dataset.classNames.count) classes, window \(meta.windowSeconds) s"
        )
        var notes: [String] = []
        let load =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(
                separator: " ") ?? "?"
        let host = ["cores": "\(ProcessInfo.processInfo.activeProcessorCount)", "loadavg_before": load]
        if let first = Double(load.split(separator: " ").first ?? ""), first > 0.5 {
            notes.append(
                "the machine was already loaded (load average \(load)) when the benchmark started: figures are contended"
            )
        }
        if meta.method == "untrained" {
            notes.append(
                "the model is untrained (random weights): latency and capacity are those of the real architecture, accuracy is chance level"
            )
        }
        let warmup = meta.windowSeconds + 1.5

        var rates: [String: Double] = [:]
        let probeSeconds = min(3, options.measureSeconds / 2)
        for threads in Set([1, options.workers]).sorted() {
            rates["\(threads)"] = inferenceRate(classifier, threads: threads, batch: 1, seconds: probeSeconds)
            log(String(format: "inference: %.0f windows/s on %d thread(s), batch 1", rates["\(threads)"]!, threads))
        }
        var batchRates: [String: Double] = [:]
        for batch in Set([8, options.maxBatch]).sorted() where batch > 1 {
            batchRates["\(batch)"] = inferenceRate(classifier, threads: 1, batch: batch, seconds: probeSeconds)
            log(String(format: "inference: %.0f windows/s on 1 thread, batch %d", batchRates["\(batch)"]!, batch))
        }

        log("latency: 1 subject, \(Int(options.latencySeconds)) s …")
        let single = try level(
            subjects: 1, seconds: warmup + options.latencySeconds, warmup: warmup, classifier: classifier,
            options: options)
        log("  \(single.latencyMs.line)")

        var levels: [StreamBenchReport.Level] = []
        var maxSubjects = 0
        for n in options.levels {
            log("capacity: \(n) subjects, \(Int(options.measureSeconds)) s …")
            let l = try level(
                subjects: n, seconds: warmup + options.measureSeconds, warmup: warmup, classifier: classifier,
                options: options)
            levels.append(l)
            log(
                "  \(l.passed ? "pass" : "FAIL (\(l.reason))"): p99 \(String(format: "%.1f", l.latencyMs.p99)) ms, labels \(l.labels)/\(l.expectedLabels), "
                    + "dropped \(l.framesDropped), busy \(l.windowsSkippedBusy), cpu \(String(format: "%.2f", l.cpuCores)) cores"
            )
            if !l.passed { break }
            maxSubjects = n
        }

        var accuracy: StreamBenchReport.Accuracy?
        if options.accuracy {
            do { accuracy = try measureAccuracy(classifier: classifier, options: options, log: log) } catch {
                notes.append("accuracy part skipped: \(error)")
                log("accuracy skipped: \(error)")
            }
        }
        let settings = [
            "workers": "\(options.workers)", "max_batch": "\(options.maxBatch)", "hop_s": "\(options.hopSeconds)",
            "imu_hz": "50", "skeleton_hz": "30", "measure_s": "\(options.measureSeconds)", "transport": "tcp loopback",
            "clock": "shared", "precision": options.precision.rawValue, "heads": options.heads.rawValue,
        ]
        return StreamBenchReport(
            model: options.modelPath, latencyMs: single.latencyMs, maxSubjects: maxSubjects,
            p99LimitMs: options.p99LimitMs, inferenceWindowsPerSecond: rates,
            inferenceBatchWindowsPerSecond: batchRates,
            levels: levels, accuracy: accuracy, settings: settings, host: host, notes: notes)
    }

    /// Windows per second `threads` threads classify together, each `batch` windows per call in a loop for
    /// `seconds` (the model's own synthetic window with every modality).
    static func inferenceRate(_ classifier: BundleClassifier, threads: Int, batch: Int, seconds: Double) -> Double {
        guard let window = classifier.syntheticWindows().first else { return 0 }
        let windows = Array(repeating: window, count: max(1, batch))
        _ = classifier.classify(batch: windows) // warm: folded weights, first-touch allocations
        let counts = Locked([Int](repeating: 0, count: threads))
        let start = MonotonicClock.now()
        let deadline = start + Int64(seconds * 1e9)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var n = 0
            while MonotonicClock.now() < deadline {
                _ = classifier.classify(batch: windows)
                n += windows.count
            }
            counts.withLock { $0[t] = n }
        }
        let elapsed = Double(MonotonicClock.now() - start) * 1e-9
        return Double(counts.current.reduce(0, +)) / elapsed
    }

    /// A pipeline configured like `cmcd`'s defaults, on ephemeral loopback ports, sensor clock shared
    /// with this process (so window bounds map exactly onto the sender's timeline).
    static func pipeline(_ classifier: BundleClassifier, options: Options, smoothing: Int? = nil) throws -> (
        StreamPipeline, BoundEndpoints
    ) {
        var config = DaemonConfig()
        config.imu = ["bind:tcp://127.0.0.1:*"]
        config.skeleton = ["bind:tcp://127.0.0.1:*"]
        config.labels = ["bind:tcp://127.0.0.1:*"]
        config.clock = "shared"
        config.workers = options.workers
        config.maxBatch = options.maxBatch
        config.hopSeconds = options.hopSeconds
        if let smoothing { config.smoothingWindows = smoothing }
        var logger = Logger(label: "cmc.bench.stream")
        logger.logLevel = .warning
        let pipeline = try StreamPipeline(config: try config.pipelineConfig(), classifier: classifier, logger: logger)
        return (pipeline, try pipeline.start())
    }

    static func targets(_ bound: BoundEndpoints) -> ReplayTargets {
        ReplayTargets(connectingTo: bound)
    }

    /// One load level: `subjects` synthetic subjects for `seconds`, scored after `warmup`.
    static func level(subjects: Int, seconds: Double, warmup: Double, classifier: BundleClassifier, options: Options)
        throws -> StreamBenchReport.Level
    {
        let (pipeline, bound) = try pipeline(classifier, options: options)
        defer { pipeline.stop() }
        // Subjects join one after another over the longest action: the synthetic subjects never stop
        // moving, so each one's action is cut at `maxActionSeconds` after it joined. Joining together
        // (as before 2026-12-03) cut every subject's action in the same half second, a burst of N extra
        // windows no independent crowd produces (p99 224 ms at 200 subjects on 1.24 busy cores).
        let join = subjects > 1 ? max(options.hopSeconds, DaemonConfig().segmentation.maxActionSeconds) : 0
        let scripts = SyntheticStreams.scripts(
            subjects: subjects, seconds: seconds + join, info: classifier.recognizer.bundle.metadata.dataset,
            phaseSpread: join > 0 ? join : options.hopSeconds, endTogether: true)
        let context = try ZMQContext()
        // CPU over the scored span only (every subject streaming): the level's whole run also holds the
        // staggered joins, the warm-up and the drain, whose average hid a saturated machine (1.4–1.6 "cores"
        // at 250 subjects while both cores were busy once every subject had joined).
        let scored = Locked<(start: Double, end: Double)?>(nil)
        let cpuBefore = cpuSeconds()
        let wallBefore = MonotonicClock.now()
        let sampler = Thread {
            func sleep(untilSeconds t: Double) {
                let left = t - Double(MonotonicClock.now() - wallBefore) * 1e-9
                if left > 0 { Thread.sleep(forTimeInterval: left) }
            }
            sleep(untilSeconds: join + warmup)
            let start = cpuSeconds()
            sleep(untilSeconds: seconds + join)
            let end = cpuSeconds()
            scored.withLock { $0 = (start, end) }
        }
        sampler.start()
        let outcome = try ReplaySession.run(
            scripts: scripts, targets: targets(bound), send: SendOptions(), evaluate: true, drainSeconds: 2,
            context: context)
        let scoredSeconds = seconds - warmup
        // (The whole run's average if the sampler has not finished: a run cut short.)
        let cpu =
            scored.current.map { ($0.end - $0.start) / max(scoredSeconds, 1e-9) }
            ?? (cpuSeconds() - cpuBefore) / (Double(MonotonicClock.now() - wallBefore) * 1e-9)

        let tracks = SendTracks(log: outcome.log, streams: scripts)
        let index = Dictionary(uniqueKeysWithValues: scripts.enumerated().map { ($0.element.subject, $0.offset) })
        var latencies: [Double] = []
        var endToEnd: [Double] = []
        var counted = 0
        for r in outcome.labels {
            guard let s = index[r.event.subject] else { continue }
            let placed = StreamEvaluation.place(
                r, stream: s, script: scripts[s], tracks: tracks, origin: outcome.log.origin, minCoverage: 0)
            // Scored only while every subject streams: from the last one's warm-up to the first one's end.
            guard placed.end >= join + warmup, placed.end <= seconds + join else { continue }
            counted += 1
            endToEnd.append(r.event.endToEndMilliseconds)
            if let l = placed.latencyMs { latencies.append(l) }
        }
        let expected = subjects * Int(((seconds - warmup) / options.hopSeconds).rounded(.down))
        let m = pipeline.metrics
        var dropped = 0.0
        var lost = 0.0
        var malformed = 0.0
        for modality in Modality.allCases {
            for reason in DropReason.allCases { dropped += m.dropped(modality, reason).current }
            lost += m.lost(modality).current
            for reason in [
                "truncated", "magic", "version", "type", "invalid", "non_finite", "timestamps", "length",
                "model_mismatch",
            ] {
                malformed += m.malformed(modality, reason).current
            }
        }
        let busy = Int(m.skipped(.busy).current)
        let latency = LatencyStats(latencies)
        var reasons: [String] = []
        if dropped + lost + malformed > 0 {
            reasons.append("\(Int(dropped + lost + malformed)) frames dropped or lost")
        }
        if busy > 0 { reasons.append("\(busy) windows skipped (inference behind)") }
        if latency.p99 >= options.p99LimitMs { reasons.append(String(format: "p99 %.1f ms", latency.p99)) }
        if Double(counted) < 0.95 * Double(expected) { reasons.append("only \(counted) of \(expected) labels") }
        return StreamBenchReport.Level(
            subjects: subjects, passed: reasons.isEmpty, reason: reasons.joined(separator: ", "), labels: counted,
            expectedLabels: expected,
            framesSent: outcome.log.sent.values.reduce(0, +), framesDropped: Int(dropped), framesLost: Int(lost),
            framesMalformed: Int(malformed),
            windowsSkippedBusy: busy, latencyMs: latency, daemonEndToEndMs: LatencyStats(endToEnd), cpuCores: cpu,
            stagesMs: [
                "queue_wait": .init(m.queueWaitSeconds.snapshot), "inference": .init(m.inferenceSeconds.snapshot),
                "publish_wait": .init(m.publishWaitSeconds.snapshot),
            ])
    }

    /// Offline clip accuracy versus stream accuracy on the dataset's validation subjects.
    static func measureAccuracy(classifier: BundleClassifier, options: Options, log: (String) -> Void) throws
        -> StreamBenchReport.Accuracy
    {
        let meta = classifier.recognizer.bundle.metadata
        guard let kind = DatasetKind(rawValue: meta.dataset.name) else {
            throw DatasetReplay.Missing(description: "no reader for dataset \(meta.dataset.name)")
        }
        var session = SessionOptions()
        session.lanes = options.accuracyLanes
        let loaded = try DatasetReplay.load(
            DatasetSelection(kind: kind, root: options.dataRoot, split: .val), session: session)
        log("accuracy: \(loaded.samples.count) clips of \(loaded.description) …")
        var predictions: [Int] = []
        for start in stride(from: 0, to: loaded.samples.count, by: 64) {
            let chunk = loaded.samples[start..<min(start + 64, loaded.samples.count)]
            predictions += try classifier.recognizer.recognize(batch: chunk.map { ($0.inertial, $0.skeleton) }).map(
                \.label)
        }
        let clipAccuracy =
            Double(zip(predictions, loaded.samples).filter { $0 == $1.label }.count)
            / Double(max(1, loaded.samples.count))
        let (pipeline, bound) = try pipeline(classifier, options: options)
        defer { pipeline.stop() }
        var send = SendOptions()
        send.speed = options.accuracySpeed
        let outcome = try ReplaySession.run(
            scripts: loaded.scripts, targets: targets(bound), send: send, evaluate: true, context: try ZMQContext())
        guard let stream = outcome.evaluation else { throw DatasetReplay.Missing(description: "no evaluation") }
        log(
            String(
                format: "  offline clips %.1f %%, stream %.1f %% (raw %.1f %%, clip vote %.1f %%)", clipAccuracy * 100,
                (stream.accuracy ?? 0) * 100,
                (stream.rawAccuracy ?? 0) * 100, (stream.clipVoteAccuracy ?? 0) * 100))
        return StreamBenchReport.Accuracy(
            dataset: loaded.description, clips: loaded.samples.count, clipAccuracy: clipAccuracy, stream: stream,
            speed: options.accuracySpeed, lanes: options.accuracyLanes)
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) * 1e-6
    }
}
