import CMCCore
import CMCData
import CMCDaemon
@testable import CMCHarness
import CMCModel
import CMCStream
@testable import CMCStreamTraining
import Foundation
import XCTest

/// The offline simulation, the session variants and the stream-head training built on it.
final class StreamTrainingTests: XCTestCase {
    private var demo: URL { Binaries.repository.appendingPathComponent("demo/utd-mhad-subject7.safetensors") }
    private var defaultModel: URL { Binaries.repository.appendingPathComponent("models/utd-mhad-cmkm.safetensors") }

    /// The simulation decides like the daemon: on the committed demo clips and the default model it finds
    /// the actions, labels them, says idle between them — and does so identically twice (no clocks of its own).
    func testOfflineSimulationOfTheDemoGivesTheDaemonsEvents() throws {
        var session = SessionOptions()
        session.limit = 8
        let loaded = try DatasetReplay.loadDemo(demo, session: session)
        let classifier = try BundleClassifier.load(path: defaultModel.path)
        let first = StreamSimulation().run(scripts: loaded.scripts, classifier: classifier)
        let again = StreamSimulation().run(scripts: loaded.scripts, classifier: classifier)
        func labels(_ o: StreamSimulation.Output) -> [String] {
            o.events.map { e in
                switch e.event {
                case .label(let l): "w:\(l.label)"
                case .action(let a): "a:\(a.label)@\(a.startSensorNanoseconds)"
                }
            }
        }
        XCTAssertEqual(labels(first), labels(again))
        XCTAssertEqual(first.failures, 0)
        XCTAssertTrue(labels(first).contains("w:idle"))
        let scores = StreamSimulation.scores(scripts: loaded.scripts, output: first)
        XCTAssertEqual(scores.clips, 8)
        XCTAssertGreaterThanOrEqual(scores.clipsDetected, 6, "the segmenter finds most clips")
        // Eight clips only, by the clip-trained model (0.82 over all 108 of subject 7): a floor, not a figure.
        XCTAssertGreaterThan(try XCTUnwrap(scores.eventF1), 0.35)
        XCTAssertGreaterThan(try XCTUnwrap(scores.windowAccuracy), 0.5)
        // Latency is measured from the clip's last frame to the event, on the virtual clock: never before
        // the action closed by more than the clip's resting tail, never later than hangover + a tick + inference.
        XCTAssertLessThan(scores.eventLatencyMs.p50, 1000)
    }

    /// Irregular gaps stay in their range; the noisy variant really is noisy between clips; both are seeded.
    func testSessionVariantsDrawGapsAndRestNoise() throws {
        let loaded = try DatasetReplay.loadDemo(demo, session: SessionOptions())
        let clips = Array(loaded.samples.prefix(6))
        var options = SessionOptions()
        options.gapRange = 0.5...3.0
        options.idle = .noise
        options.seed = 3
        let a = SessionBuilder.scripts(samples: clips, info: loaded.info, options: options)[0]
        let b = SessionBuilder.scripts(samples: clips, info: loaded.info, options: options)[0]
        XCTAssertEqual(a.clips, b.clips, "seeded")
        let gaps = zip(a.clips.dropFirst(), a.clips).map { $0.start - $1.end }
        XCTAssertTrue(gaps.allSatisfy { $0 >= 0.49 && $0 <= 3.03 }, "\(gaps)")
        XCTAssertGreaterThan(Set(gaps.map { ($0 * 10).rounded() }).count, 1, "gaps differ")
        // Gyroscope x in the first gap: not constant (noise), but small (rest, not motion).
        let imu = try XCTUnwrap(a.imu)
        let inGap = imu.times.indices.filter { Double(imu.times[$0]) * 1e-9 < a.clips[0].start - 0.05 }.map {
            imu.values[$0 * imu.stride + 3]
        }
        XCTAssertGreaterThan(inGap.count, 10)
        let mean = inGap.reduce(0, +) / Float(inGap.count)
        let spread = (inGap.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(inGap.count)).squareRoot()
        // As noisy as the clips' quietest stretches (UTD-MHAD's gyroscope: several °/s at rest), far
        // quieter than the actions.
        let rest = SessionBuilder.restNoise(clips).imu[3]
        XCTAssertEqual(SessionBuilder.restNoise(clips).skeleton.count, 60, "Kinect v1: 20 joints × 3")
        XCTAssertEqual(
            SessionBuilder.restNoise(clips, layout: .openNI).skeleton.count, 45,
            "measured in the layout sent: 15 joints × 3")
        XCTAssertGreaterThan(spread, 0.6 * rest)
        XCTAssertLessThan(spread, 1.5 * rest)
        let action = clips.compactMap { $0.inertial }.map { raw -> Float in
            let xs = (0..<raw.shape[1]).map { raw.values[3 * raw.shape[1] + $0] }
            let m = xs.reduce(0, +) / Float(xs.count)
            return (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Float(xs.count)).squareRoot()
        }.sorted()[clips.count / 2]
        XCTAssertLessThan(rest, action / 4, "rest noise \(rest) °/s against \(action) °/s in the clips")
        options.idle = .hold
        let held = SessionBuilder.scripts(samples: clips, info: loaded.info, options: options)[0]
        let heldIMU = try XCTUnwrap(held.imu)
        let settle = SessionBuilder.settleSeconds
        let heldGap = heldIMU.times.indices.filter { Double(heldIMU.times[$0]) * 1e-9 < held.clips[0].start - 0.05 }
        XCTAssertEqual(
            Set(heldGap.map { heldIMU.values[$0 * heldIMU.stride] }).count, 1,
            "the accelerometer holds the first pose before the first clip")
        // A resting wrist does not turn: the gyroscope is zero once it settled, until it rises to the clip.
        let resting = heldGap.filter {
            let t = Double(heldIMU.times[$0]) * 1e-9
            return t >= settle && t < held.clips[0].start - settle
        }
        XCTAssertFalse(resting.isEmpty)
        XCTAssertTrue(resting.allSatisfy { heldIMU.values[$0 * heldIMU.stride + 3] == 0 }, "gyroscope at rest")
        let clipStart = held.clips[0].start
        let first = try XCTUnwrap(heldIMU.times.firstIndex { Double($0) * 1e-9 >= clipStart })
        let lastRest: Float = heldIMU.values[(first - 1) * heldIMU.stride + 3]
        let clipFirst: Float = heldIMU.values[first * heldIMU.stride + 3]
        XCTAssertEqual(
            lastRest, clipFirst, accuracy: abs(clipFirst) * 0.25 + 1e-6,
            "the gyroscope has nearly risen to the clip's first value by its last rest sample")
    }

    /// The labelling rule of training windows, on hand-made cases.
    func testTrainingWindowsAreLabelledByTheDataTheyHold() {
        let clips = [
            ScriptedClip(id: "a", label: 4, className: "a", start: 1, end: 3),
            ScriptedClip(id: "b", label: 9, className: "b", start: 4, end: 6),
        ]
        XCTAssertEqual(StreamWindowSet.label(start: 1.5, end: 2.5, clips: clips, idle: 27), 4, "inside a clip")
        XCTAssertEqual(
            StreamWindowSet.label(start: 0.5, end: 2.5, clips: clips, idle: 27), 4, "three quarters in a clip")
        XCTAssertEqual(StreamWindowSet.label(start: 3.05, end: 3.95, clips: clips, idle: 27), 27, "in the gap")
        XCTAssertEqual(
            StreamWindowSet.label(start: 2.8, end: 3.9, clips: clips, idle: 27), 27,
            "mostly gap: 0.2 s of 1.1 s in a clip")
        XCTAssertNil(
            StreamWindowSet.label(start: 2.2, end: 4.4, clips: clips, idle: 27), "two clips, neither half: unused")
        XCTAssertNil(
            StreamWindowSet.label(start: 2.5, end: 3.7, clips: clips, idle: 27),
            "0.5 s of action, 0.7 s of rest: unused")
        XCTAssertEqual(StreamWindowSet.label(start: 2.4, end: 3.6, clips: clips, idle: 27), 4, "exactly half: the clip")
    }

    /// Stream heads on a tiny model: the result has the idle class as background, loads and serves, and
    /// the daemon's composer turns idle decisions into "idle" labels and no action events.
    func testStreamHeadsAddABackgroundIdleClassTheDaemonUnderstands() throws {
        let loaded = try DatasetReplay.loadDemo(demo, session: SessionOptions())
        let clips = Array(loaded.samples.prefix(10))
        var experiment = StreamHeadExperiment()
        experiment.trainer.schedule.epochs = 2
        experiment.variants = [
            StreamWindowSet.Variant(
                session: {
                    var s = SessionOptions()
                    s.gapRange = 1...2
                    s.idle = .noise
                    return s
                }(), thresholdScale: 0.6)
        ]
        let (trained, fold) = try experiment.train(
            bundle: TinyBundle.make(windowSeconds: 3.5), samples: clips, info: loaded.info)
        XCTAssertEqual(trained.metadata.dataset.classNames, loaded.info.classNames + ["idle"])
        XCTAssertEqual(trained.metadata.backgroundClasses, ["idle"])
        XCTAssertTrue(trained.metadata.method.hasSuffix("+stream-head"))
        XCTAssertGreaterThan(fold.examples, clips.count, "stream windows besides the clips")
        XCTAssertGreaterThan(fold.classCounts["idle"] ?? 0, 0, "gaps teach idle")

        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("stream.safetensors")
        try trained.save(to: url)
        let classifier = try BundleClassifier.load(path: url.path)
        XCTAssertEqual(classifier.spec.backgroundClasses, ["idle"])

        var composer = EventComposer(smoothing: SmoothingPolicy(), clock: "monotonic")
        var p = [Float](repeating: 0.01, count: 28)
        p[27] = 1 - 0.27
        let action = Window(
            subject: 1, start: 0, end: 2_000_000_000, inertial: nil, skeleton: nil, readyAt: 0,
            purpose: .action(ActionSegment(id: 0, start: 0, end: 2_000_000_000, truncated: false)))
        XCTAssertNil(
            composer.event(
                for: action, probabilities: p, classNames: classifier.spec.classNames, spec: classifier.spec,
                modelID: nil, timing: .init(inferenceSeconds: 0, now: 0)), "no action event for idle")
        let periodic = Window(subject: 1, start: 0, end: 3_500_000_000, inertial: nil, skeleton: nil, readyAt: 0)
        guard
            case .label(let label)? = composer.event(
                for: periodic, probabilities: p, classNames: classifier.spec.classNames,
                spec: classifier.spec, modelID: nil, timing: .init(inferenceSeconds: 0, now: 0))
        else {
            return XCTFail("a periodic window gets a label")
        }
        XCTAssertEqual(label.label, LabelEvent.idleLabel)
        XCTAssertEqual(label.labelIndex, LabelEvent.idleIndex)

        // A bundle naming a background class it does not have is refused with the reason.
        var meta = trained.metadata
        meta.backgroundClasses = ["resting"]
        XCTAssertTrue(meta.problems().contains { $0.contains("background class \"resting\"") })
    }
}
