import CMCCore
import CMCTestSupport
import XCTest
@testable import CMCStream

/// The pipeline with CURVE on loopback TCP (`inproc://` bypasses ZeroMQ security): only listed keys
/// feed it or read its labels, each in its own role; everything else is refused, counted and logged.
final class CurvePipelineTests: XCTestCase {
    func testOnlyListedClientsFeedThePipelineAndReadItsLabels() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let server = try CurveKeys.generate()
        let sensor = try CurveKeys.generate()
        let consumer = try CurveKeys.generate()
        let intruder = try CurveKeys.generate()
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.segmentation.enabled = false // constant test signals: every window would be idle
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0, topK: 3)
        config.curve = PipelineCurve(
            keys: server, sensors: CurveAllowList([sensor.publicKey: "wrist"]),
            consumers: CurveAllowList([consumer.publicKey: "dashboard"]))
        let logs = LogCapture()
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: logs.logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let context = try ZMQContext()
        let m = pipeline.metrics
        func client(_ keys: CurveKeyPair?) -> CurveClient? {
            keys.map { CurveClient(serverKey: server.publicKey, keys: $0) }
        }
        func subscriber(_ keys: CurveKeyPair?) throws -> ZMQSocket {
            let s = try ZMQSocket(context: context, type: .sub)
            try s.subscribe(Topic.allLabels)
            try s.attach([.connect(bound.labels[0])], curve: client(keys))
            return s
        }
        func publishers(_ keys: CurveKeyPair?) throws -> [ZMQSocket] {
            try [bound.imu[0], bound.skeleton[0]].map { address in
                let s = try ZMQSocket(context: context, type: .pub)
                try s.attach([.connect(address)], curve: client(keys))
                return s
            }
        }
        // A plain-text peer fails as a mechanism mismatch, or as a bare disconnect when it hangs up first.
        func plainFailures(_ socket: String) -> Double {
            m.handshakes(socket: socket, .failedProtocol).current + m.handshakes(socket: socket, .failedOther).current
        }
        let listed = try subscriber(consumer)
        let unlisted = try subscriber(intruder)
        let plain = try subscriber(nil)

        // Publishers with an unlisted key, in plain text, and with a consumer's key (listed for labels
        // only): their handshakes are refused, so not one of their frames is received.
        let rogues = [try publishers(intruder), try publishers(nil), try publishers(consumer)]
        eventually(timeout: 5, "rogue handshakes refused") {
            for (i, pair) in rogues.enumerated() {
                for frame in Frames.stream(subject: UInt32(20 + i), end: MonotonicClock.now(), seconds: 0.2, value: 1) {
                    _ = try? pair[frame.modality == .inertial ? 0 : 1].send(FrameCodec.message(frame), dontWait: true)
                }
            }
            Thread.sleep(forTimeInterval: 0.02)
            return m.curveClients(domain: PipelineCurve.framesDomain, accepted: false).current >= 4
                && plainFailures("imu") >= 1 && plainFailures("skeleton") >= 1
        }
        XCTAssertEqual(
            m.received(.inertial).current + m.received(.skeleton).current, 0, "no rogue frame reached the pipeline")

        // The listed sensor gets through; its windows are labelled for the listed consumer only.
        let sensorSockets = try publishers(sensor)
        eventually(timeout: 5, "sensor joined") {
            _ = try? sensorSockets[0].send(
                FrameCodec.message(Frames.imu(subject: 77, sequence: 0, start: MonotonicClock.now() - 100_000_000)))
            Thread.sleep(forTimeInterval: 0.01)
            return m.received(.inertial).current > 0
        }
        for frame in Frames.stream(subject: 7, end: MonotonicClock.now(), seconds: 2, value: 2) {
            try sensorSockets[frame.modality == .inertial ? 0 : 1].send(FrameCodec.message(frame))
            Thread.sleep(forTimeInterval: 0.005)
        }
        var events: [LabelEvent] = []
        let deadline = Date().addingTimeInterval(5)
        while !events.contains(where: { $0.subject == 7 }) && Date() < deadline {
            if try ZMQPoll.readable([listed], timeoutMilliseconds: 50)[0],
                let parts = try listed.receive(dontWait: true)
            {
                events.append(try LabelEvent.decode(message: parts))
            }
        }
        XCTAssertEqual(events.first { $0.subject == 7 }?.label, "wave", "\(logs.lines.current.suffix(10))")
        for outsider in [unlisted, plain] {
            XCTAssertFalse(
                try ZMQPoll.readable([outsider], timeoutMilliseconds: 300)[0],
                "an unauthorised subscriber received labels")
        }
        XCTAssertGreaterThanOrEqual(m.curveClients(domain: PipelineCurve.labelsDomain, accepted: false).current, 1)
        XCTAssertGreaterThanOrEqual(m.curveClients(domain: PipelineCurve.labelsDomain, accepted: true).current, 1)
        XCTAssertGreaterThanOrEqual(plainFailures("labels"), 1, "the plain-text subscriber")
        XCTAssertEqual(m.malformed(.inertial, "truncated").current, 0)

        let lines = logs.lines.current
        XCTAssertTrue(
            lines.contains { $0.contains("CURVE client refused") && $0.contains(intruder.publicKey.z85) }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("CURVE client accepted: user=wrist") }, "\(lines)")
        for key in [server, sensor, consumer, intruder] {
            XCTAssertFalse(lines.contains { $0.contains(key.secretKey.z85) }, "a secret key was logged")
        }
        let scrape = m.registry.render()
        XCTAssertTrue(scrape.contains(#"cmc_curve_clients_total{domain="frames",outcome="refused"}"#), scrape)
    }

    /// libzmq admits every CURVE client once no ZAP handler answers: a failed handler must take the
    /// pipeline down (closed sockets, a failure the daemon exits on), never leave it serving.
    func testAFailedZAPHandlerFailsThePipelineClosed() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let server = try CurveKeys.generate()
        let sensor = try CurveKeys.generate()
        let intruder = try CurveKeys.generate()
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.segmentation.enabled = false
        config.tickSeconds = 0.05
        config.curve = PipelineCurve(
            keys: server, sensors: CurveAllowList([sensor.publicKey: "wrist"]),
            consumers: CurveAllowList([sensor.publicKey: "wrist"]))
        let logs = LogCapture()
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: logs.logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        XCTAssertNil(pipeline.failure)
        pipeline.injectAuthenticationFault()
        eventually(timeout: 5, "the pipeline fails") { pipeline.failure != nil }
        XCTAssertTrue(pipeline.failure?.contains("authentication") ?? false, pipeline.failure ?? "")
        XCTAssertTrue(
            logs.lines.current.contains { $0.contains("CURVE authentication handler failed") }, "\(logs.lines.current)")

        // Nobody gets in any more, listed or not: the sockets are closed.
        let context = try ZMQContext()
        let sub = try ZMQSocket(context: context, type: .sub)
        defer { sub.close() }
        try sub.subscribe(Topic.allLabels)
        try sub.attach([.connect(bound.labels[0])], curve: CurveClient(serverKey: server.publicKey, keys: intruder))
        let monitorDeadline = Date().addingTimeInterval(0.5)
        var received = false
        while Date() < monitorDeadline {
            if try ZMQPoll.readable([sub], timeoutMilliseconds: 50)[0] { received = true }
        }
        XCTAssertFalse(received)
    }

    /// Authentication is not authorisation: a sensor bound to subject 5 cannot feed subject 6.
    func testASensorBoundToSubjectsCannotPublishForOthers() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let server = try CurveKeys.generate()
        let sensor = try CurveKeys.generate()
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.segmentation.enabled = false
        config.curve = PipelineCurve(
            keys: server, sensors: CurveAllowList([sensor.publicKey: "wrist-5"], subjects: ["wrist-5": [5]]),
            consumers: CurveAllowList([:]))
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: LogCapture().logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let context = try ZMQContext()
        let pub = try ZMQSocket(context: context, type: .pub)
        defer { pub.close() }
        try pub.attach([.connect(bound.imu[0])], curve: CurveClient(serverKey: server.publicKey, keys: sensor))
        let m = pipeline.metrics
        let start = MonotonicClock.now() - 10_000_000_000
        var sequence: UInt64 = 0
        eventually(timeout: 5, "frames of both subjects arrive") {
            sequence += 1
            for subject: UInt32 in [5, 6] {
                _ = try? pub.send(
                    FrameCodec.message(
                        Frames.imu(subject: subject, sequence: sequence, start: start + Int64(sequence) * 100_000_000)))
            }
            Thread.sleep(forTimeInterval: 0.01)
            return m.dropped(.inertial, .unauthorized).current >= 3 && m.received(.inertial).current >= 6
        }
        XCTAssertGreaterThanOrEqual(m.dropped(.inertial, .unauthorized).current, 3)
        XCTAssertEqual(m.malformed(.inertial, "model_mismatch").current, 0)
        eventually(timeout: 2, "only subject 5 buffered") { m.subjectsActive.current == 1 }
    }
}
