import CMCData
import Foundation
import CMCCore
import Logging
import CMCTestSupport
import XCTest
@testable import CMCDaemon
@testable import CMCHarness
@testable import CMCStream

/// `.cmcrec` recordings (as `cmc-record` writes them) replayed into the pipeline.
final class RecordingReplayTests: XCTestCase {
    func testARecordingReplaysIntoTheDaemonWithRestampedTimes() throws {
        let dir = try temporaryDirectory(self)
        // A recording of 2.5 s of two subjects, stamped on a sensor clock far in the past, plus a label
        // record that must not be republished.
        let path = dir.appendingPathComponent("session.cmcrec").path
        let writer = try RecordWriter(path: path)
        let scripts = SyntheticStreams.scripts(subjects: 2, seconds: 2.5, info: UTDMHAD.info, phaseSpread: 0.1)
        let sensorEpoch: Int64 = 1_000_000_000_000
        let recordedAt: Int64 = 5_000_000_000_000
        for scheduled in FrameSchedule.frames(scripts, imuChunk: 5, skeletonChunk: 2) {
            var frame = scheduled.frame
            if case .regular(let t0, let period) = frame.timing {
                frame.timing = .regular(start: t0 + sensorEpoch, periodNanoseconds: period)
            }
            try writer.append(
                RecordedMessage(
                    monotonicNanoseconds: recordedAt + scheduled.due, unixNanoseconds: 0,
                    channel: frame.modality == .inertial ? .imu : .skeleton, parts: FrameCodec.message(frame)))
        }
        try writer.append(
            RecordedMessage(
                monotonicNanoseconds: recordedAt + 2_000_000_000, unixNanoseconds: 0, channel: .labels,
                parts: [Array("label/1/".utf8), Array("{}".utf8)]))
        try writer.close()

        let url = dir.appendingPathComponent("tiny.safetensors")
        try TinyBundle.make().save(to: url)
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared // the recorded sensor times would be refused as they are: --retime
        let pipeline = try StreamPipeline(
            config: config, classifier: try BundleClassifier.load(path: url.path),
            logger: Logger(label: "test") { _ in LineLogHandler(level: .error) })
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let context = try ZMQContext()
        let collector = LabelCollector(endpoints: bound.labels.map(Endpoint.connect), context: context)
        try collector.start()
        let result = try RecordingReplay.run(
            paths: [path],
            targets: ReplayTargets(
                imu: bound.imu.map(Endpoint.connect),
                skeleton: bound.skeleton.map(Endpoint.connect), labels: []),
            speed: 1, retime: true, warmupSeconds: 0.3, context: context)
        eventually(timeout: 5, "labels of both recorded subjects") {
            Set(collector.labels.map(\.event.subject)) == [1, 2]
        }
        let labels = collector.stop()
        XCTAssertEqual(result.skipped, 1, "the recorded label event is not republished")
        XCTAssertEqual(result.damaged, [])
        XCTAssertGreaterThan(result.sent[.inertial] ?? 0, 40)
        XCTAssertEqual(result.seconds, 2.5, accuracy: 0.5, "recorded spacing reproduced")
        XCTAssertEqual(Set(labels.map(\.event.subject)), [1, 2])
        XCTAssertEqual(pipeline.metrics.dropped(.inertial, .future).current, 0)
    }
}
