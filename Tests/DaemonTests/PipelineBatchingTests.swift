import CMCCore
import CMCData
import CMCDaemon
import CMCHarness
import Foundation
import Logging
import XCTest
@testable import CMCStream

/// Workers hand everything queued to `classify(batch:)` at once.
final class PipelineBatchingTests: XCTestCase {
    /// Wraps a bundle classifier, recording batch sizes and making each call slow enough for windows
    /// of other subjects to queue meanwhile.
    struct Recording: WindowClassifier {
        let inner: BundleClassifier
        let sizes: Locked<[Int]>
        var spec: ClassifierSpec { inner.spec }
        func classify(_ window: Window) throws -> Classification { try inner.classify(window) }
        func classify(batch windows: [Window]) -> [Result<Classification, any Error>] {
            sizes.withLock { $0.append(windows.count) }
            Thread.sleep(forTimeInterval: 0.03)
            return inner.classify(batch: windows)
        }
    }

    func testQueuedWindowsOfManySubjectsAreClassifiedTogether() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("tiny.safetensors")
        try TinyBundle.make().save(to: url)
        let sizes = Locked([Int]())
        let classifier = Recording(inner: try BundleClassifier.load(path: url.path), sizes: sizes)
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.maxBatch = 8
        config.segmentation.enabled = false // constant test signals: every window would be idle
        let pipeline = try StreamPipeline(
            config: config, classifier: classifier, logger: Logger(label: "test") { _ in LineLogHandler(level: .error) }
        )
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let scripts = SyntheticStreams.scripts(subjects: 12, seconds: 2.5, info: UTDMHAD.info, phaseSpread: 0.05)
        var send = SendOptions()
        send.warmupSeconds = 0.3
        let outcome = try ReplaySession.run(
            scripts: scripts,
            targets: ReplayTargets(connectingTo: bound),
            send: send, evaluate: true, drainSeconds: 1.5, context: try ZMQContext())
        let observed = sizes.current
        XCTAssertGreaterThan(observed.max() ?? 0, 1, "batches: \(observed)")
        XCTAssertLessThanOrEqual(observed.max() ?? 0, 8, "max_batch is respected")
        XCTAssertEqual(Set(outcome.labels.map(\.event.subject)).count, 12)
        XCTAssertEqual(pipeline.metrics.skipped(.classifierError).current, 0)
        XCTAssertEqual(Double(observed.reduce(0, +)), pipeline.metrics.labelsPublished.current)
    }
}
