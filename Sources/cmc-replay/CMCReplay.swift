import CMCCore
import ArgumentParser
import CMCCommandLine
import CMCData
import CMCDaemon
import CMCHarness
import CMCStream
import Foundation

@main
struct CMCReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmc-replay",
        abstract:
            "Stream recorded sessions to cmcd with sensor timestamps, in real time or faster; optionally score its labels.",
        discussion: """
            Sources: dataset sequences (default: UTD-MHAD validation split from $CMC_DATA_ROOT or
            ../shared/data), concatenated per subject with idle gaps into continuous streams; or
            .cmcrec recordings made by cmc-record (--recording, several play in parallel).

            Examples:
              cmc-replay --split val --speed 4 --evaluate
              cmc-replay --subjects 7 --lanes 4 --evaluate --json replay.json
              cmc-replay --recording session.cmcrec --speed 1
              cmc-replay --demo demo/utd-mhad-subject7.safetensors --lanes 4 --speed 4 --evaluate

            With --evaluate a window is scored when it ends inside a clip and covers at least
            --min-coverage of min(window, clip); windows ending in idle gaps or mostly covering the
            previous activity are reported but not scored (docs/deployment.md, "Stream accuracy").
            """,
        version: ToolVersion.text)

    @Option(help: "Dataset.") var dataset = DatasetKind.utdMHAD
    @Option(help: "Dataset root (default: $CMC_DATA_ROOT, else ../shared/data).") var root: String?
    @Option(help: "Part of the dataset's default subject split.") var split = SplitName.val
    @Option(help: "Subjects to replay instead of a split, e.g. 7 or 1,3.") var subjects: SubjectList?
    @Option(help: "Streams per subject (wire ids become subject×100+lane).") var lanes = 1
    @Option(help: "At most this many clips per stream.") var limit: Int?
    @Option(help: "Idle seconds before, between and after clips.") var gap = 1.0
    @Option(
        help:
            "Between clips: hold (sensors keep streaming a resting signal), noise (hold plus the sensors' own rest noise) or silence."
    )
    var idle = SessionOptions.Idle.hold
    @Option(help: "Clip order: shuffled (seeded) or dataset.") var order = SessionOptions.Order.shuffled
    @Option(help: "Shuffle seed.") var seed: UInt64 = 0
    @Option(help: ".cmcrec recording to replay instead of a dataset (repeatable).") var recording: [String] = []
    @Option(
        help:
            "Send skeletons in this layout (the daemon retargets it): \(SkeletonLayout.allCases.map(\.rawValue).joined(separator: ", ")); default: as recorded."
    )
    var skeletonLayout: SkeletonLayout?
    @Option(
        help:
            "Demo clips file to replay instead of a dataset (no dataset needed; e.g. demo/utd-mhad-subject7.safetensors)."
    )
    var demo: String?
    @Option(help: "Write the selected dataset clips as a demo file (float16) and exit.") var writeDemo: String?
    @Flag(help: "Recordings: restamp sensor times as if taken now (for a cmcd in shared clock mode).") var retime =
        false

    @Option(help: "Replay speed: 1 = real time, 4 = four times faster, 0 = as fast as possible.") var speed = 1.0
    @Option(help: "IMU frames to (repeatable).") var imu: [Endpoint] = ReplayTargets.localDaemon.imu
    @Option(help: "Skeleton frames to (repeatable).") var skeleton: [Endpoint] = ReplayTargets.localDaemon.skeleton
    @Option(help: "Label events from, with --evaluate (repeatable).") var labels: [Endpoint] = ReplayTargets.localDaemon
        .labels
    @Option(help: "IMU samples per frame.") var imuChunk = 5
    @Option(help: "Skeleton frames per message.") var skeletonChunk = 2
    @OptionGroup var curve: CurveClientArguments
    @OptionGroup var inference: InferenceArguments

    @Flag(help: "Subscribe to the daemon's labels and report stream accuracy and latency.") var evaluate = false
    @Option(help: "Scored windows cover at least this fraction of min(window, clip).") var minCoverage = 0.75
    @Option(
        help: ArgumentHelp(
            "Classes whose detection is also scored on its own, comma-separated, or none (default: the dataset's; SmartFallMM: its falls).",
            discussion: "Adds stream.focus to the report (docs/deployment.md, \"Stream scores\")."))
    var focusClasses: String?
    @Option(help: "Write the report as JSON to this file.") var json: String?
    @Option(
        help:
            "With --evaluate or --offline: write the ground truth and every event, placed on the timelines, as JSON lines to this file."
    )
    var events: String?
    @Option(
        help:
            "With --evaluate: the bundle the daemon serves, to classify the same clips whole offline (the stream scores' reference); with --offline: the bundle that decides."
    )
    var model = "models/utd-mhad-cmkm.safetensors"
    @Flag(help: "Do not print each label as it arrives.") var quiet = false
    @Flag(
        help: ArgumentHelp(
            "Decide in this process, without a daemon: cmcd's own window assembler and event composer with the --model bundle, on a virtual clock (default settings).",
            discussion: "Scores like --evaluate in seconds instead of the session's length; no queueing or busy skips.")
    )
    var offline = false
    @Option(
        help:
            "With --offline: cmcd's configuration file whose hop, smoothing and segmentation settings to simulate (default: cmcd's defaults)."
    )
    var daemonConfig: String?

    func run() throws {
        ProcessSignals.block()
        let stop = ProcessSignals.stopFlag()
        let targets = ReplayTargets(imu: imu, skeleton: skeleton, labels: labels, curve: try curve.load())
        let context = try ZMQContext()
        let report: ReplayReport
        if offline {
            guard recording.isEmpty else {
                throw ValidationError(
                    "--offline replays dataset or demo clips, not recordings (they carry no ground truth)")
            }
            report = try simulate()
        } else if !recording.isEmpty {
            report = try replayRecordings(targets: targets, context: context, stop: stop)
        } else {
            report = try replayDataset(targets: targets, context: context, stop: stop)
        }
        print(report.summary)
        if let json {
            try report.jsonData().write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }

    /// `--offline`: the daemon's decisions on a virtual clock, scored.
    private func simulate() throws -> ReplayReport {
        let loaded = try load()
        let classifier = try BundleClassifier.load(
            path: model, precision: inference.precision, heads: inference.heads)
        let wallStart = MonotonicClock.now()
        var simulation = StreamSimulation()
        if let daemonConfig {
            var settings = try DaemonConfig.load(path: daemonConfig).pipelineConfig()
            settings.imuEndpoints = []
            settings.skeletonEndpoints = []
            settings.labelEndpoints = []
            simulation.config = settings
        }
        simulation.imuChunk = imuChunk
        simulation.skeletonChunk = skeletonChunk
        // The reference sees the clips as the daemon does: through the skeleton layout and back.
        let (output, scores) = try simulation.evaluate(
            scripts: loaded.scripts,
            samples: loaded.samples.map { SessionBuilder.roundTrip($0, through: skeletonLayout) },
            classifier: classifier,
            focus: try focus(loaded.info))
        if let events { try EventDump.write(to: events, scripts: loaded.scripts, simulated: output) }
        var report = ReplayReport(
            source: loaded.description + " (offline, \(model))", speed: 0, streams: loaded.scripts.count,
            clips: loaded.scripts.reduce(0) { $0 + $1.clips.count },
            timelineSeconds: loaded.scripts.map(\.duration).max() ?? 0,
            wallSeconds: Double(MonotonicClock.now() - wallStart) * 1e-9, framesSent: output.log.sent,
            labelsReceived: output.events.count, evaluation: nil,
            notes: ["offline simulation: event latency excludes queueing (windows never wait for a worker)"]
                + (output.failures > 0 ? ["\(output.failures) windows failed to classify"] : []))
        report.stream = scores
        return report
    }

    private func focus(_ info: DatasetInfo) throws -> [String] {
        do { return try FocusScores.classes(focusClasses, info: info) } catch {
            throw ValidationError("--focus-classes: \(error)")
        }
    }

    /// The dataset or demo clips selected on the command line, as streams.
    private func load() throws -> DatasetReplay.Loaded {
        guard dataset != .basicMotions else {
            throw ValidationError("--dataset: BasicMotions has no skeleton to stream; use utd-mhad or smartfallmm")
        }
        var session = SessionOptions()
        session.gapSeconds = gap
        session.idle = idle
        session.order = order
        session.seed = seed
        session.lanes = max(1, lanes)
        session.limit = limit
        session.skeletonLayout = skeletonLayout
        let ids = subjects.map { $0.ids.map(Int.init) }
        do {
            if let demo { return try DatasetReplay.loadDemo(URL(fileURLWithPath: demo), session: session) }
            return try DatasetReplay.load(
                DatasetSelection(kind: dataset, root: root, split: split, subjects: ids), session: session)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    private func replayDataset(targets: ReplayTargets, context: ZMQContext, stop: Locked<Bool>) throws -> ReplayReport {
        let loaded = try load()
        if let writeDemo {
            try DemoClips.write(loaded.samples, info: loaded.info, to: URL(fileURLWithPath: writeDemo))
            let bytes = (try? FileManager.default.attributesOfItem(atPath: writeDemo)[.size] as? Int) ?? 0
            print("wrote \(loaded.samples.count) clips of \(loaded.description) to \(writeDemo) (\(bytes / 1024) KiB)")
            throw ExitCode.success
        }
        let timeline = loaded.scripts.map(\.duration).max() ?? 0
        let clips = loaded.scripts.reduce(0) { $0 + $1.clips.count }
        let pace = speed > 0 ? String(format: "%.0f s at %gx", timeline / speed, speed) : "as fast as possible"
        let plan =
            "replaying \(loaded.description): \(loaded.scripts.count) streams, \(clips) clips, "
            + String(format: "%.0f s of timeline (%@)\n", timeline, pace)
        FileHandle.standardError.write(Data(plan.utf8))
        var send = SendOptions()
        send.speed = speed
        send.imuChunk = imuChunk
        send.skeletonChunk = skeletonChunk
        let wallStart = Date()
        let outcome = try ReplaySession.run(
            scripts: loaded.scripts, targets: targets, send: send, evaluate: evaluate, minCoverage: minCoverage,
            focusClasses: try focus(loaded.info), context: context,
            onLabel: labelPrinter, onAction: quiet ? nil : Self.printAction,
            progress: { fraction in
                let elapsed = Date().timeIntervalSince(wallStart)
                let eta = fraction > 0 ? elapsed / fraction - elapsed : 0
                FileHandle.standardError.write(
                    Data(String(format: "replay %3.0f %%  ETA %.0f s\n", fraction * 100, eta).utf8))
            },
            shouldStop: { stop.current })
        var notes: [String] = []
        if stop.current { notes.append("interrupted: partial replay") }
        if outcome.rejectedLabels > 0 { notes.append("\(outcome.rejectedLabels) label messages did not decode") }
        var report = ReplayReport(
            source: loaded.description, speed: speed, streams: loaded.scripts.count, clips: clips,
            timelineSeconds: timeline,
            wallSeconds: Double(outcome.log.finishedAt - outcome.log.startedAt) * 1e-9, framesSent: outcome.log.sent,
            labelsReceived: evaluate ? outcome.labels.count : nil, evaluation: outcome.evaluation, notes: notes)
        if let events, evaluate {
            try EventDump.write(
                to: events, scripts: loaded.scripts, log: outcome.log, labels: outcome.labels, actions: outcome.actions)
        }
        if evaluate && report.stream != nil {
            if FileManager.default.fileExists(atPath: model) {
                do {
                    report.stream?.clipAccuracy = try ClipReference.accuracy(bundle: model, samples: loaded.samples)
                    report.evaluation?.stream = report.stream
                } catch { report.notes.append("clip accuracy not measured: \(model): \(error)") }
            } else {
                report.notes.append("clip accuracy not measured: no bundle at \(model) (--model)")
            }
        }
        return report
    }

    private func replayRecordings(targets: ReplayTargets, context: ZMQContext, stop: Locked<Bool>) throws
        -> ReplayReport
    {
        var collector: LabelCollector?
        if evaluate {
            collector = LabelCollector(
                endpoints: targets.labels, context: context, curve: targets.curve, onEvent: labelPrinter)
            try collector?.start()
        }
        let result = try RecordingReplay.run(
            paths: recording, targets: targets, speed: speed, retime: retime, context: context,
            shouldStop: { stop.current })
        if collector != nil { Thread.sleep(forTimeInterval: 2) } // the last windows' labels
        let received = collector?.stop() ?? []
        var notes = result.damaged
        if result.skipped > 0 {
            notes.append("\(result.skipped) recorded messages not replayed (labels or other channels)")
        }
        if evaluate { notes.append("recordings carry no ground truth: labels and daemon latency only") }
        let e2e = LatencyStats(received.map(\.event.endToEndMilliseconds))
        if evaluate { notes.append("daemon end-to-end \(e2e.line)") }
        return ReplayReport(
            source: recording.joined(separator: ", "), speed: speed, streams: Set(received.map(\.event.subject)).count,
            clips: 0,
            timelineSeconds: result.seconds * (speed > 0 ? speed : 1), wallSeconds: result.seconds,
            framesSent: result.sent,
            labelsReceived: evaluate ? received.count : nil, evaluation: nil, notes: notes)
    }

    private var labelPrinter: (@Sendable (LabelCollector.Received) -> Void)? { quiet ? nil : Self.printLabel }

    @Sendable static func printAction(_ r: LabelCollector.ReceivedAction) {
        let e = r.event
        let label = e.label.count >= 18 ? e.label : e.label + String(repeating: " ", count: 18 - e.label.count)
        let subject =
            "\(e.subject)".count >= 6
            ? "\(e.subject)" : "\(e.subject)" + String(repeating: " ", count: 6 - "\(e.subject)".count)
        print(
            "subject \(subject) ACTION \(label)"
                + String(
                    format: " p %.2f  %.1f s  (action %d, %.0f ms after it closed)",
                    e.confidence, e.seconds, e.action, e.endToEndMilliseconds))
    }

    @Sendable static func printLabel(_ r: LabelCollector.Received) {
        let e = r.event
        let mark = e.fallback ? " (fallback: \(e.modalities.joined(separator: "+")))" : ""
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        print(
            "subject " + pad("\(e.subject)", 6) + " " + pad(e.label, 18) + String(format: " p %.2f  raw ", e.confidence)
                + pad(e.raw.label, 18)
                + String(format: " %5.1f ms", e.endToEndMilliseconds) + mark)
    }
}
