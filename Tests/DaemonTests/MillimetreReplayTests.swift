import CMCData
import CMCDaemon
import CMCHarness
import Foundation
import CMCCore
import Logging
import XCTest
@testable import CMCStream

/// A SmartFallMM-shaped model (m/s², rad/s, 32 joints in mm) fed by the replay: the unit codes the
/// replayer derives from the dataset must be accepted by the pipeline and converted for the model.
final class MillimetreReplayTests: XCTestCase {
    func testSmartFallShapedStreamsAreAcceptedAndClassified() throws {
        let info = SmartFallMM.info()
        XCTAssertEqual(SessionBuilder.wireUnits(info).imu.first, .metresPerSecondSquared)
        XCTAssertEqual(SessionBuilder.wireUnits(info).skeleton, .millimetres)
        let url = try temporaryDirectory(self).appendingPathComponent("sf.safetensors")
        try TinyBundle.make(info: info).save(to: url)
        let classifier = try BundleClassifier.load(path: url.path)
        XCTAssertEqual(classifier.skeletonFactor, 1000)

        // Two synthetic trials: IMU 50 Hz in m/s² and rad/s, skeleton 30 fps in millimetres.
        let samples = (0..<2).map { n -> Sample in
            var imu = DataArray(zeros: [6, 100])
            for c in 0..<6 { for t in 0..<100 { imu[c, t] = (c == 2 ? 9.8 : 0) + sin(Float(t) * 0.2 + Float(c + n)) } }
            var skel = DataArray(zeros: [3, 60, 32])
            for c in 0..<3 {
                for f in 0..<60 {
                    for j in 0..<32 {
                        skel[c, f, j] = Float(c == 1 ? 1700 - 50 * j : 30 * (j % 5)) + 10 * sin(Float(f) * 0.1)
                    }
                }
            }
            return Sample(
                id: "S39A0\(n + 1)T01", label: n, subject: 39, trial: 1, inertial: imu, skeleton: skel, sources: [])
        }
        var session = SessionOptions()
        session.gapSeconds = 0.5
        let scripts = SessionBuilder.scripts(samples: samples, info: info, options: session)

        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0)
        let pipeline = try StreamPipeline(
            config: config, classifier: classifier, logger: Logger(label: "test") { _ in LineLogHandler(level: .error) }
        )
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        var send = SendOptions()
        send.speed = 2
        send.warmupSeconds = 0.3
        let outcome = try ReplaySession.run(
            scripts: scripts,
            targets: ReplayTargets(connectingTo: bound),
            send: send, evaluate: true, drainSeconds: 1.5, context: try ZMQContext())
        let m = pipeline.metrics
        XCTAssertEqual(
            m.malformed(.inertial, "model_mismatch").current + m.malformed(.skeleton, "model_mismatch").current, 0)
        XCTAssertGreaterThan(outcome.labels.count, 3)
        // Between the clips the subject rests: those windows are idle, decided without inference.
        let classified = outcome.labels.filter { $0.event.label != LabelEvent.idleLabel }
        XCTAssertFalse(classified.isEmpty)
        XCTAssertTrue(
            classified.allSatisfy {
                $0.event.modalities == ["imu", "skeleton"] && SmartFallMM.classNames.contains($0.event.label)
            })
        XCTAssertFalse(outcome.actions.isEmpty, "the clips' motion makes action events")
        XCTAssertTrue(outcome.actions.allSatisfy { SmartFallMM.classNames.contains($0.event.label) })
        XCTAssertEqual(outcome.evaluation?.labels, outcome.labels.count)
    }
}
