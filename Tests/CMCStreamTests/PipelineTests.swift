import CMCTestSupport
import XCTest
@testable import CMCStream

final class PipelineTests: XCTestCase {
    func testEndToEndLabelsForTwoSubjects() throws {
        let h = try PipelineHarness()
        let events = try h.run(seconds: 4, subjects: [1: 1, 2: 2])
        let one = events.filter { $0.subject == 1 }
        let two = events.filter { $0.subject == 2 }
        XCTAssertGreaterThanOrEqual(one.count, 4, "\(h.logs.lines.current)")
        XCTAssertGreaterThanOrEqual(two.count, 4)
        XCTAssertTrue(one.allSatisfy { $0.label == "walk" && $0.labelIndex == 1 })
        XCTAssertTrue(two.allSatisfy { $0.label == "wave" })
        for e in events {
            XCTAssertEqual(e.modalities, ["imu", "skeleton"])
            XCTAssertFalse(e.fallback)
            XCTAssertEqual(e.windowEndNanoseconds - e.windowStartNanoseconds, 1_000_000_000)
            XCTAssertEqual(e.clock, "shared")
            XCTAssertEqual(e.confidence, 0.9, accuracy: 1e-5)
            XCTAssertEqual(e.topK.first?.label, e.label)
            XCTAssertLessThan(e.endToEndMilliseconds, 1000)
        }
        XCTAssertEqual(one.map(\.sequence), Array(0..<UInt64(one.count)))
        let ends = one.map(\.windowEndNanoseconds)
        XCTAssertTrue(zip(ends, ends.dropFirst()).allSatisfy { $1 - $0 == 500_000_000 }, "windows on the hop grid")
        let m = h.pipeline.metrics
        XCTAssertEqual(m.windowsInferred([.inertial, .skeleton]).current, Double(m.labelsPublished.current))
        XCTAssertEqual(m.dropped(.inertial, .late).current, 0)
        XCTAssertTrue(m.registry.render().contains("cmc_frames_received_total{stream=\"imu\"}"))
    }

    func testMissingModalityIsClassifiedByTheUnimodalFallback() throws {
        let h = try PipelineHarness()
        let imuOnly = try h.run(seconds: 3, subjects: [3: 2], imu: true, skeleton: false)
        let skeletonOnly = try h.run(seconds: 3, subjects: [4: 1], imu: false, skeleton: true)
        XCTAssertFalse(imuOnly.isEmpty)
        XCTAssertTrue(imuOnly.allSatisfy { $0.modalities == ["imu"] && $0.fallback && $0.label == "wave" })
        XCTAssertFalse(skeletonOnly.isEmpty)
        XCTAssertTrue(skeletonOnly.allSatisfy { $0.modalities == ["skeleton"] && $0.fallback && $0.label == "walk" })
    }

    func testMalformedInputAndAFloodLeaveOtherSubjectsServed() throws {
        let h = try PipelineHarness { $0.buffer.maxFramesPerSecond = 100 }
        let m = h.pipeline.metrics
        let good = FrameCodec.encode(Frames.imu(subject: 9, sequence: 0, start: 0))
        var badMagic = good
        badMagic[0] = 0
        var badVersion = good
        badVersion[4] = 7
        var nan = good
        nan.replaceSubrange(43..<47, with: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian, Array.init))
        let hostile: [[[UInt8]]] = [
            [Array("imu/9/".utf8), badMagic], [Array("imu/9/".utf8), badVersion], [Array("imu/9/".utf8), nan],
            [Array("imu/9/".utf8), Array(good.prefix(30))], [Array("imu/9/".utf8)], [Array("imu/8/".utf8), good],
            FrameCodec.message(Frames.imu(subject: 9, sequence: 1, start: 0, channels: 5)),
        ]
        var events: [LabelEvent] = []
        let receivedBefore = m.received(.inertial).current
        var floodSequence: UInt64 = 0
        for round in 0..<8 {
            for message in hostile { try h.imu.send(message) }
            for _ in 0..<400 { // far beyond 100 frames/s for subject 66
                try h.imu.send(
                    FrameCodec.message(
                        Frames.imu(
                            subject: 66, sequence: floodSequence, start: Int64(floodSequence) * 100_000_000 + 1_000_000,
                            value: 0)))
                floodSequence += 1
            }
            try h.feed(subject: 1, seconds: 0.5, value: 1)
            events += try h.receiveLabels(timeout: round < 7 ? 0.05 : 0.5) { _ in false }
        }
        let served = events.filter { $0.subject == 1 }
        XCTAssertGreaterThanOrEqual(served.count, 4, "\(h.logs.lines.current.prefix(20))")
        XCTAssertTrue(served.allSatisfy { $0.label == "walk" })
        eventually(timeout: 2, "every frame counted") {
            m.received(.inertial).current - receivedBefore >= Double(8 * (hostile.count + 400))
        }
        XCTAssertEqual(m.malformed(.inertial, "magic").current, 8)
        XCTAssertEqual(m.malformed(.inertial, "version").current, 8)
        XCTAssertEqual(m.malformed(.inertial, "non_finite").current, 8)
        XCTAssertEqual(m.malformed(.inertial, "truncated").current, 8)
        XCTAssertEqual(m.malformed(.inertial, "invalid").current, 16) // one-part message, topic mismatch
        XCTAssertEqual(m.malformed(.inertial, "model_mismatch").current, 8)
        XCTAssertGreaterThan(m.dropped(.inertial, .rateLimit).current, 2000)
        // Log lines are rate limited: far fewer lines than bad frames.
        XCTAssertLessThan(h.logs.lines.current.count, 30)
    }

    func testReloadSwapsTheClassifierAtRuntime() throws {
        let h = try PipelineHarness()
        let before = try h.run(seconds: 2, subjects: [1: 1])
        XCTAssertTrue(!before.isEmpty && before.allSatisfy { $0.label == "walk" })
        try h.pipeline.replaceClassifier(TestClassifier(shift: 1))
        var after: [LabelEvent] = []
        try eventually(timeout: 5, "labels from the new classifier") {
            after += try h.run(seconds: 0.5, subjects: [1: 1])
            return after.contains { $0.label == "wave" }
        }
        XCTAssertEqual(h.pipeline.metrics.classifierReloads.current, 1)
        var bad = TestClassifier().spec
        bad.classNames = []
        struct Broken: WindowClassifier {
            var spec: ClassifierSpec
            func classify(_ w: Window) throws -> Classification { .init(probabilities: []) }
        }
        XCTAssertThrowsError(try h.pipeline.replaceClassifier(Broken(spec: bad)))
    }

    func testGracefulStopPublishesTheWindowInFlight() throws {
        let h = try PipelineHarness(classifier: TestClassifier(delaySeconds: 0.4))
        try eventually(timeout: 5, "a window in inference") {
            try h.feed(subject: 1, seconds: 0.5, value: 2)
            return h.pipeline.metrics.windowsInFlight.current == 1
        }
        let before = h.pipeline.metrics.labelsPublished.current
        h.pipeline.stop() // blocks until the in-flight window is published
        XCTAssertEqual(h.pipeline.metrics.labelsPublished.current, before + 1)
        let events = try h.receiveLabels(timeout: 2) { $0.count > Int(before) }
        XCTAssertEqual(events.last?.label, "wave")
    }

    func testClassifierErrorsAreCountedNotFatal() throws {
        struct Failing: WindowClassifier {
            var spec = TestClassifier().spec
            func classify(_ window: Window) throws -> Classification {
                if window.subject == 5 { throw WireError("test", .invalid("boom")) }
                return try TestClassifier().classify(window)
            }
        }
        let h = try PipelineHarness(classifier: Failing())
        let events = try h.run(seconds: 3, subjects: [5: 1, 6: 1])
        XCTAssertTrue(events.allSatisfy { $0.subject == 6 })
        XCTAssertFalse(events.isEmpty)
        XCTAssertGreaterThan(h.pipeline.metrics.skipped(.classifierError).current, 0)
    }

    /// The target load's shape (100 subjects, 50 Hz IMU + 30 Hz skeleton, hop 0.5 s), fed faster than
    /// real time: nothing dropped or lost, every subject served, latency far below 100 ms.
    func testHundredSubjectsWithoutDrops() throws {
        let h = try PipelineHarness()
        let subjects = Dictionary(uniqueKeysWithValues: (1...100).map { (UInt32($0), Float($0 % 3)) })
        let events = try h.run(seconds: 3, subjects: subjects)
        let m = h.pipeline.metrics
        let perSubject = Dictionary(grouping: events, by: \.subject)
        XCTAssertEqual(perSubject.count, 100)
        XCTAssertTrue(
            perSubject.values.allSatisfy { $0.count >= 3 }, "\(perSubject.mapValues(\.count).values.min() ?? 0)")
        XCTAssertTrue(events.allSatisfy { $0.label == TestClassifier.classes[Int($0.subject % 3)] })
        for stream in Modality.allCases {
            XCTAssertEqual(m.lost(stream).current, 0)
            for reason in DropReason.allCases {
                XCTAssertEqual(m.dropped(stream, reason).current, 0, "\(stream) \(reason)")
            }
        }
        XCTAssertEqual(m.skipped(.busy).current, 0)
        XCTAssertLessThanOrEqual(m.endToEndSeconds.snapshot.quantileUpperBound(0.99), 0.1)
    }

    /// With one worker taking 0.2 s per window, two subjects' windows due together queue one behind the other:
    /// the queue-wait histogram shows that wait, the publish-wait one that the I/O thread kept up, and each
    /// counts every classified window once.
    func testQueueAndPublishWaitsAreMeasuredPerWindow() throws {
        let h = try PipelineHarness(classifier: TestClassifier(delaySeconds: 0.2)) {
            $0.workers = 1
            $0.maxBatch = 1
        }
        _ = try h.run(seconds: 2, subjects: [1: 1, 2: 2])
        let m = h.pipeline.metrics
        let queued = m.queueWaitSeconds.snapshot
        let published = m.publishWaitSeconds.snapshot
        XCTAssertGreaterThan(queued.count, 0)
        XCTAssertEqual(queued.count, m.inferenceSeconds.snapshot.count)
        XCTAssertEqual(published.count, queued.count)
        XCTAssertGreaterThanOrEqual(queued.quantileUpperBound(1), 0.1, "no window waited behind another")
        XCTAssertLessThanOrEqual(published.quantileUpperBound(0.5), 0.05)
    }

    func testAnIOThreadThatDiesIsReported() throws {
        let h = try PipelineHarness()
        XCTAssertNil(h.pipeline.failure)
        h.context.shutdown()
        eventually(timeout: 3, "failure reported") { h.pipeline.failure != nil }
        XCTAssertEqual(h.pipeline.failure, "ZeroMQ context terminated")
        h.pipeline.stop() // still joins every thread cleanly
    }
}
