import CMCCore
import CMCTestSupport
import XCTest
@testable import CMCStream

final class RecordingTests: XCTestCase {
    private func temporaryPath() -> String { NSTemporaryDirectory() + "cmc-rec-\(UUID().uuidString).cmcrec" }

    private func messages(_ n: Int) -> [RecordedMessage] {
        (0..<n).map { (i: Int) -> RecordedMessage in
            let frame = Frames.imu(subject: UInt32(i), sequence: UInt64(i), start: Int64(i))
            let channel: RecordedMessage.Channel = i % 2 == 0 ? .imu : .labels
            return RecordedMessage(
                monotonicNanoseconds: Int64(i) * 20_000_000, unixNanoseconds: 1_700_000_000_000_000_000 + Int64(i),
                channel: channel, parts: FrameCodec.message(frame))
        }
    }

    private func write(_ messages: [RecordedMessage], to path: String) throws {
        let writer = try RecordWriter(path: path)
        for m in messages { try writer.append(m) }
        try writer.close()
    }

    func testRoundTrip() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let original = messages(50)
        try write(original, to: path)
        let (read, stop) = try RecordReader.readAll(path: path)
        XCTAssertEqual(read, original)
        XCTAssertEqual(stop, .clean)
    }

    func testEveryTornTailKeepsAllCompleteRecordsAndReportsTheDamage() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let original = messages(3)
        try write(original, to: path)
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        let lastRecordSize = RecordFormat.record(original[2]).count
        let lastStart = full.count - lastRecordSize
        for cut in lastStart + 1..<full.count {
            try full.prefix(cut).write(to: URL(fileURLWithPath: path))
            let (read, stop) = try RecordReader.readAll(path: path)
            XCTAssertEqual(read, Array(original.prefix(2)), "cut at \(cut)")
            guard case .damaged(let offset, let discarded, _) = stop else { return XCTFail("cut at \(cut): \(stop)") }
            XCTAssertEqual(offset, lastStart)
            XCTAssertEqual(discarded, cut - lastStart)
        }
    }

    func testACorruptedByteStopsReadingAtThatRecord() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let original = messages(5)
        try write(original, to: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let secondStart = RecordFormat.fileHeaderSize + RecordFormat.record(original[0]).count
        bytes[secondStart + 20] ^= 0x01 // one bit inside record 2's payload
        try bytes.write(to: URL(fileURLWithPath: path))
        let (read, stop) = try RecordReader.readAll(path: path)
        XCTAssertEqual(read, [original[0]])
        XCTAssertEqual(
            stop, .damaged(offset: secondStart, discardedBytes: bytes.count - secondStart, reason: "checksum mismatch"))
        // A corrupted length field is caught by the checksum too (it covers the length).
        bytes[secondStart + 20] ^= 0x01
        bytes[secondStart] ^= 0x04
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try RecordReader.readAll(path: path).messages, [original[0]])
    }

    func testNotARecordingIsRejected() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        try Data("hello, not a recording".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try RecordReader(path: path))
    }

    /// Record a live stream with `StreamRecorder`, then replay the file into a pipeline and get labels:
    /// the "tested by replaying recorded streams" path, end to end.
    func testRecordThenReplayIntoThePipeline() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let context = try ZMQContext()
        let source = try ZMQSocket(context: context, type: .pub)
        try source.bind("inproc://rec-source")
        var config = RecorderConfig(path: path)
        config.imuEndpoints = [.connect("inproc://rec-source")]
        let recorder = try StreamRecorder(config: config, logger: LogCapture().logger(), context: context)
        try recorder.start()
        // Handshake: send probe frames until the recorder has one.
        let base = MonotonicClock.now() - 30_000_000_000
        try eventually(timeout: 5, "recorder joined") {
            try source.send(FrameCodec.message(Frames.imu(subject: 77, sequence: 0, start: 0)))
            Thread.sleep(forTimeInterval: 0.005)
            return recorder.recordsWritten > 0
        }
        let frames = Frames.stream(subject: 7, end: base + 3_000_000_000, seconds: 3, value: 2, skeleton: false)
        for f in frames { try source.send(FrameCodec.message(f)) }
        eventually(timeout: 5, "all recorded") { recorder.recordsWritten >= frames.count + 1 }
        recorder.stop()
        XCTAssertNil(recorder.error)
        let (recorded, stop) = try RecordReader.readAll(path: path)
        XCTAssertEqual(stop, .clean)
        XCTAssertEqual(Array(recorded.suffix(frames.count)).map(\.parts), frames.map(FrameCodec.message))

        var pc = PipelineConfig(
            imuEndpoints: [.bind("inproc://replay-imu")], skeletonEndpoints: [],
            labelEndpoints: [.bind("inproc://replay-labels")])
        pc.clock.mode = .shared
        pc.segmentation.enabled = false // constant test signals: every window would be idle
        let pipeline = try StreamPipeline(
            config: pc, classifier: TestClassifier(), logger: LogCapture().logger(), context: context)
        try pipeline.start()
        defer { pipeline.stop() }
        let labels = try ZMQSocket(context: context, type: .sub)
        try labels.subscribe("label/7/")
        try labels.connect("inproc://replay-labels")
        let player = try ZMQSocket(context: context, type: .pub)
        try player.connect("inproc://replay-imu")
        try eventually(timeout: 5, "replayer joined") {
            try player.send(FrameCodec.message(Frames.imu(subject: 78, sequence: 0, start: 0)))
            Thread.sleep(forTimeInterval: 0.005)
            return pipeline.metrics.received(.inertial).current > 0
        }
        let (sent, replayStop) = try StreamReplayer.replay(path: path, to: player, channels: [.imu], speed: 4)
        XCTAssertEqual(sent, recorded.count)
        XCTAssertEqual(replayStop, .clean)
        var events: [LabelEvent] = []
        let deadline = Date().addingTimeInterval(3)
        while events.isEmpty && Date() < deadline {
            if try ZMQPoll.readable([labels], timeoutMilliseconds: 50)[0], let parts = try labels.receive() {
                events.append(try LabelEvent.decode(message: parts))
            }
        }
        XCTAssertEqual(events.first?.label, "wave")
        XCTAssertEqual(events.first?.modalities, ["imu"])
    }
}
