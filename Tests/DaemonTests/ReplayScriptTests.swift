import CMCData
@testable import CMCStream
import CMCCore
import Logging
import XCTest
@testable import CMCDaemon
@testable import CMCHarness

final class ReplayScriptTests: XCTestCase {
    private func sample(_ id: String, label: Int, subject: Int = 7, imu: Int, frames: Int) -> Sample {
        var i = DataArray(zeros: [6, imu])
        for c in 0..<6 { for t in 0..<imu { i[c, t] = Float(c * 1000 + t) } }
        var s = DataArray(zeros: [3, frames, 20])
        for c in 0..<3 { for f in 0..<frames { for j in 0..<20 { s[c, f, j] = Float(c * 100_000 + f * 100 + j) } } }
        return Sample(id: id, label: label, subject: subject, trial: 1, inertial: i, skeleton: s, sources: [])
    }

    func testClipsAreConcatenatedWithIdleGapsOnOneTimeline() throws {
        var options = SessionOptions()
        options.order = .dataset
        let script = SessionBuilder.script(
            subject: 7,
            clips: [sample("a", label: 0, imu: 100, frames: 40), sample("b", label: 2, imu: 150, frames: 57)],
            info: UTDMHAD.info, options: options)
        XCTAssertEqual(script.clips.map(\.className), ["swipe_left", "wave"])
        XCTAssertEqual(script.clips[0].start, 1.0, accuracy: 1e-9)
        XCTAssertEqual(script.clips[0].duration, 2.0, accuracy: 1e-9)
        XCTAssertEqual(script.clips[1].start, 4.0, accuracy: 1e-9, "one idle second between clips")
        XCTAssertEqual(script.clips[1].duration, 3.0, accuracy: 1e-9)
        XCTAssertEqual(script.duration, 8.0, accuracy: 1e-9)
        let imu = try XCTUnwrap(script.imu)
        let skeleton = try XCTUnwrap(script.skeleton)
        XCTAssertEqual(
            imu.units,
            [
                .standardGravity, .standardGravity, .standardGravity, .degreesPerSecond, .degreesPerSecond,
                .degreesPerSecond,
            ])
        XCTAssertEqual(skeleton.units, [.metres, .metres, .metres])
        // The IMU runs on one steady 50 Hz grid through clips and idle gaps alike.
        XCTAssertTrue(zip(imu.times, imu.times.dropFirst()).allSatisfy { $1 - $0 == 20_000_000 })
        XCTAssertEqual(imu.count, 400)
        // Inside a clip: the dataset's values, transposed to the wire's sample-major layout.
        let k = imu.times.firstIndex(of: 1_000_000_000)!
        XCTAssertEqual(Array(imu.sample(k + 3)), [3, 1003, 2003, 3003, 4003, 5003])
        // Skeleton frames span the clip's IMU duration: 2 s / 40 frames = 50 ms, 3 s / 57 frames ≈ 52.6 ms (rounded
        // down).
        let first = skeleton.times.firstIndex(of: 1_000_000_000)!
        XCTAssertEqual(skeleton.times[first + 1] - skeleton.times[first], 50_000_000)
        let second = skeleton.times.firstIndex(of: 4_000_000_000)!
        XCTAssertEqual(skeleton.times[second + 1] - skeleton.times[second], 52_631_578)
        XCTAssertEqual(
            Array(skeleton.sample(first + 2).prefix(4)), [200, 100_200, 200_200, 201],
            "x, y, z of joint 0, then joint 1")
        // Idle: the last pose glides into the next clip's first.
        let gapIndex = imu.times.firstIndex(of: 3_500_000_000)!
        XCTAssertEqual(imu.sample(gapIndex).first!, 99 + (0 - 99) * 0.5, accuracy: 1)
        XCTAssertEqual(script.clipIndex(at: 3.5), nil)
        XCTAssertEqual(script.clipIndex(at: 4.2), 1)

        options.idle = .silence
        let silent = SessionBuilder.script(
            subject: 7,
            clips: [sample("a", label: 0, imu: 100, frames: 40), sample("b", label: 2, imu: 150, frames: 57)],
            info: UTDMHAD.info, options: options)
        XCTAssertEqual(silent.imu?.count, 250, "no samples between clips")
    }

    func testLanesSplitASubjectIntoParallelStreams() {
        var options = SessionOptions()
        options.lanes = 2
        let samples = (0..<5).map { sample("s\($0)", label: $0, imu: 60, frames: 20) }
        let scripts = SessionBuilder.scripts(samples: samples, info: UTDMHAD.info, options: options)
        XCTAssertEqual(scripts.map(\.subject), [700, 701])
        XCTAssertEqual(scripts.map(\.clips.count), [3, 2])
        XCTAssertEqual(Set(scripts.flatMap(\.clips).map(\.id)), Set(samples.map(\.id)), "every clip once")
    }

    func testFramesAreRegularChunksSentWhenTheirLastSampleIsTaken() throws {
        let script = SessionBuilder.script(
            subject: 3, clips: [sample("a", label: 0, imu: 100, frames: 40)], info: UTDMHAD.info,
            options: SessionOptions())
        let frames = FrameSchedule.frames([script], imuChunk: 5, skeletonChunk: 2)
        XCTAssertEqual(frames.map(\.due), frames.map(\.due).sorted())
        let imu = frames.filter { $0.frame.modality == .inertial }
        XCTAssertEqual(imu.map(\.frame.sequence), Array(0..<UInt64(imu.count)))
        XCTAssertEqual(imu.reduce(0) { $0 + $1.frame.sampleCount }, script.imu!.count)
        for f in imu {
            guard case .regular(let start, let period) = f.frame.timing else { return XCTFail("explicit timing") }
            XCTAssertEqual(period, 20_000_000)
            XCTAssertEqual(f.due, start + Int64(f.frame.sampleCount - 1) * 20_000_000)
        }
        // Skeleton chunks never straddle a change of spacing (idle 50 ms frames → clip frames).
        for f in frames where f.frame.modality == .skeleton {
            XCTAssertLessThanOrEqual(f.frame.sampleCount, 2)
            XCTAssertEqual(try FrameCodec.decode(FrameCodec.encode(f.frame)), f.frame)
        }
    }

    func testEvaluationScoresWindowsByTheClipActiveAtTheirEnd() {
        let clips = [
            ScriptedClip(id: "a", label: 0, className: "swipe_left", start: 1, end: 3),
            ScriptedClip(id: "b", label: 2, className: "wave", start: 4, end: 7),
        ]
        var imu = ScriptedSamples(channels: 6, joints: 0, units: Array(repeating: .standardGravity, count: 6))
        for k in 0..<400 { imu.append(time: Int64(k) * 20_000_000, sample: Array(repeating: 0, count: 6)) }
        let script = StreamScript(subject: 5, clips: clips, imu: imu, skeleton: nil, duration: 8)
        let origin: Int64 = 1_000_000_000_000
        // Frames of 5 samples left exactly when their last sample was taken.
        var log = SendLog(origin: origin, startedAt: origin, speed: 1)
        for k in stride(from: 4, to: 400, by: 5) {
            let t = Int64(k) * 20_000_000
            log.records.append(.init(stream: 0, modality: .inertial, sentAt: origin + t, lastSample: t))
        }
        func event(end: Double, label: String, raw: String, latencyMs: Double = 3) -> LabelCollector.Received {
            let endNs = origin + Int64(end * 1e9)
            let e = LabelEvent(
                version: 1, subject: 5, sequence: 0, clock: "shared", windowStartNanoseconds: endNs - 1_000_000_000,
                windowEndNanoseconds: endNs, label: label, labelIndex: label == "unknown" ? -1 : 0, confidence: 0.9,
                topK: [],
                modalities: ["imu"], fallback: false, raw: .init(label: raw, probability: 0.9),
                inferenceMilliseconds: 1,
                endToEndMilliseconds: 2, publishedUnixNanoseconds: 0)
            return LabelCollector.Received(event: e, receivedAt: endNs + Int64(latencyMs * 1e6))
        }
        // Windows end where a frame ended (its last sample), as the daemon cuts them.
        let labels = [
            // covers 0.48 s of a 2 s clip < 0.75 × 1 s: transition
            event(end: 1.48, label: "swipe_left", raw: "swipe_left"),
            event(end: 1.98, label: "swipe_left", raw: "swipe_left"), // 0.98 s of it: scored, right
            event(end: 2.88, label: "unknown", raw: "swipe_left"), // scored: published wrong (unknown), raw right
            event(end: 3.48, label: "wave", raw: "wave"), // between clips: idle
            event(end: 4.98, label: "clap", raw: "wave"), // scored, published wrong
            event(end: 5.98, label: "wave", raw: "wave", latencyMs: 7), // scored, right
        ]
        let e = StreamEvaluation.evaluate(scripts: [script], log: log, labels: labels)
        XCTAssertEqual(e.labels, 6)
        XCTAssertEqual(e.transition, 1)
        XCTAssertEqual(e.idle, 1)
        XCTAssertEqual(e.scored, 4)
        XCTAssertEqual(e.accuracy!, 0.5, accuracy: 1e-9)
        XCTAssertEqual(e.rawAccuracy!, 1, accuracy: 1e-9)
        XCTAssertEqual(e.unknownRate!, 0.25, accuracy: 1e-9)
        XCTAssertEqual(e.clipsScored, 2)
        XCTAssertEqual(e.clipVoteAccuracy!, 1, accuracy: 1e-9)
        XCTAssertEqual(e.latencyMs.count, 6)
        XCTAssertEqual(
            e.latencyMs.p50, 3, accuracy: 1e-6, "label received 3 ms after the frame completing its window left")
        XCTAssertEqual(e.latencyMs.max, 7, accuracy: 1e-6)

        // The same events from a daemon on its own (monotonic) clock, which saw every frame 0.4 ms late.
        var shifted = labels
        for i in shifted.indices {
            shifted[i].event.clock = "monotonic"
            shifted[i].event.windowEndNanoseconds += 400_000
            shifted[i].event.windowStartNanoseconds += 400_000
        }
        var late = log
        for i in late.records.indices { late.records[i].sentAt += 400_000 }
        let m = StreamEvaluation.evaluate(scripts: [script], log: late, labels: shifted)
        XCTAssertEqual(m.scored, 4)
        XCTAssertEqual(m.accuracy!, 0.5, accuracy: 1e-9)
    }
}

/// The demo clips: a file that round-trips, and the committed one that the main job replays when no
/// dataset is present.
final class DemoClipsTests: XCTestCase {
    func testDemoFilesRoundTripAndRefuseWhatIsNotOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var imu = DataArray(zeros: [6, 120])
        var skel = DataArray(zeros: [3, 40, 20])
        for i in imu.values.indices { imu.values[i] = Float(i % 13) * 0.25 }
        for i in skel.values.indices { skel.values[i] = Float(i % 7) * 0.125 }
        let samples = [
            Sample(id: "a2_s7_t1", label: 1, subject: 7, trial: 1, inertial: imu, skeleton: skel, sources: []),
            Sample(id: "a3_s7_t2", label: 2, subject: 7, trial: 2, inertial: imu, skeleton: nil, sources: []),
        ]
        let url = dir.appendingPathComponent("demo.safetensors")
        try DemoClips.write(samples, info: UTDMHAD.info, to: url)
        let (info, back) = try DemoClips.load(url)
        XCTAssertEqual(info, UTDMHAD.info)
        XCTAssertEqual(back.map(\.id), ["a2_s7_t1", "a3_s7_t2"])
        XCTAssertEqual(back[0].inertial, imu, "multiples of 1/4 are exact in float16")
        XCTAssertEqual(back[0].skeleton, skel)
        XCTAssertNil(back[1].skeleton)

        let bundle = try TinyBundle.file(in: dir, name: "model.safetensors")
        XCTAssertThrowsError(try DemoClips.load(bundle)) {
            XCTAssertTrue("\($0)".contains("not a cmc demo file"), "\($0)")
        }
    }

    func testTheCommittedDemoReplaysAsSessionsOfSubject7() throws {
        let url = Binaries.repository.appendingPathComponent("demo/utd-mhad-subject7.safetensors")
        let loaded = try DatasetReplay.loadDemo(url, session: SessionOptions())
        XCTAssertEqual(loaded.samples.count, 108)
        XCTAssertEqual(Set(loaded.samples.map(\.subject)), [7])
        XCTAssertEqual(loaded.info.classNames.count, 27)
        XCTAssertEqual(loaded.scripts.count, 1)
        XCTAssertEqual(loaded.scripts[0].clips.count, 108)
        XCTAssertTrue(loaded.samples.allSatisfy { $0.inertial?.shape.first == 6 && $0.skeleton?.shape.last == 20 })
        // Under the 2 MB a repository should carry for a demo.
        let bytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        XCTAssertLessThan(bytes, 2 << 20)
    }

    /// The main job's no-dataset path in miniature: demo clips through a pipeline serving the default
    /// model give window labels, action events and stream scores.
    func testTheDemoDrivesTheDefaultModelToActionEvents() throws {
        let model = Binaries.repository.appendingPathComponent("models/utd-mhad-cmkm.safetensors")
        var session = SessionOptions()
        session.limit = 4
        let loaded = try DatasetReplay.loadDemo(
            Binaries.repository.appendingPathComponent("demo/utd-mhad-subject7.safetensors"),
            session: session)
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.workers = 2
        let pipeline = try StreamPipeline(
            config: config, classifier: try BundleClassifier.load(path: model.path),
            logger: Logger(label: "test") { _ in LineLogHandler(level: .error) })
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        var send = SendOptions()
        send.speed = 4
        send.warmupSeconds = 0.3
        let outcome = try ReplaySession.run(
            scripts: loaded.scripts,
            targets: ReplayTargets(connectingTo: bound),
            send: send, evaluate: true, drainSeconds: 2, context: try ZMQContext())
        XCTAssertGreaterThan(outcome.labels.count, 10)
        XCTAssertTrue(outcome.labels.contains { $0.event.label == LabelEvent.idleLabel })
        XCTAssertTrue(outcome.labels.contains { loaded.info.classNames.contains($0.event.label) })
        XCTAssertGreaterThanOrEqual(outcome.actions.count, 3, "one event per clip, give or take a split")
        XCTAssertTrue(
            outcome.actions.allSatisfy { $0.event.model?.hasPrefix("utd-mhad-cmkm.safetensors@fnv1a64:") ?? false },
            "events say which model decided")
        let scores = try XCTUnwrap(outcome.evaluation?.stream)
        XCTAssertEqual(scores.clips, 4)
        XCTAssertNotNil(scores.windowAccuracy)
        let found = outcome.actions.map { a in
            String(
                format: "%@ %.2f–%.2f", a.event.label,
                Double(a.event.startSensorNanoseconds - outcome.log.origin) * 1e-9,
                Double(a.event.endSensorNanoseconds - outcome.log.origin) * 1e-9)
        }
        let truth = loaded.scripts[0].clips.map { String(format: "%@ %.2f–%.2f", $0.className, $0.start, $0.end) }
        XCTAssertGreaterThan(scores.clipsDetected, 1, "the segmenter finds the clips: \(found) for \(truth)")
    }
}
