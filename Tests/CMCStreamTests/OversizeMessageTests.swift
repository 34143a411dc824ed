import CMCCore
import CMCTestSupport
import XCTest
@testable import CMCStream

/// Receiving sockets refuse oversized messages inside libzmq (`ZMQ_MAXMSGSIZE`): the sender is
/// disconnected before the message is allocated, so it never reaches the decoder (or memory), and
/// well-behaved senders are not affected.
final class OversizeMessageTests: XCTestCase {
    func testAMessageOverTheLargestFrameNeverReachesTheDaemon() throws {
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.segmentation.enabled = false
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: LogCapture().logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let context = try ZMQContext()
        let m = pipeline.metrics
        let attacker = try ZMQSocket(context: context, type: .pub)
        try attacker.connect(bound.imu[0])
        let sensor = try ZMQSocket(context: context, type: .pub)
        try sensor.connect(bound.imu[0])
        let start = MonotonicClock.now() - 10_000_000_000
        var sequence: UInt64 = 0
        // Both peers joined once the sensor's frames are counted.
        try eventually(timeout: 5, "sensor joined") {
            sequence += 1
            try sensor.send(
                FrameCodec.message(
                    Frames.imu(subject: 1, sequence: sequence, start: start + Int64(sequence) * 100_000_000)))
            Thread.sleep(forTimeInterval: 0.01)
            return m.received(.inertial).current > 0
        }
        // The attacker has joined once one of its well-formed frames is counted too.
        var attackerSequence: UInt64 = 0
        let joined = m.received(.inertial).current
        try eventually(timeout: 5, "attacker joined") {
            attackerSequence += 1
            let start = start + Int64(attackerSequence) * 100_000_000
            try attacker.send(FrameCodec.message(Frames.imu(subject: 2, sequence: attackerSequence, start: start)))
            Thread.sleep(forTimeInterval: 0.01)
            return m.received(.inertial).current > joined
        }
        eventually(timeout: 5, "the attacker's frames drained") {
            m.received(.inertial).current == joined + Double(attackerSequence)
        }
        let big = [UInt8](repeating: 0x41, count: FrameCodec.maxInboundPartBytes + 1)
        for _ in 0..<3 { try attacker.send([Array("imu/1/".utf8), big]) }
        let before = m.received(.inertial).current
        for _ in 0..<20 {
            sequence += 1
            try sensor.send(
                FrameCodec.message(
                    Frames.imu(subject: 1, sequence: sequence, start: start + Int64(sequence) * 100_000_000)))
        }
        eventually(timeout: 5, "the sensor's frames") { m.received(.inertial).current >= before + 20 }
        holdsThroughout(0.3, "only the sensor's frames arrive") { m.received(.inertial).current == before + 20 }
        XCTAssertEqual(m.malformed(.inertial, "invalid").current, 0, "the oversized messages never reached the decoder")
    }
}
