import CMCCore
import Foundation
import CMCTestSupport
import XCTest
@testable import CMCStream

/// A consumer key can be bound to subjects (issue 10, item 4): `KEY ward-a subjects=7` on the
/// consumers' allow-list receives subject 7's labels only, whatever it subscribes to, while a key
/// without `subjects=` and a plain SUB socket still receive every subject's.
final class ConsumerSubjectTests: XCTestCase {
    func testARestrictedConsumerReceivesOnlyItsSubjects() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let server = try CurveKeys.generate()
        let sensor = try CurveKeys.generate()
        let ward = try CurveKeys.generate()
        let dashboard = try CurveKeys.generate()
        let consumers = try CurveAllowList.parse(
            """
            \(ward.publicKey.z85) ward-a subjects=7
            \(dashboard.publicKey.z85) dashboard
            """, source: "test")
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.segmentation.enabled = false // constant test signals: every window would be idle
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0, topK: 3)
        config.curve = PipelineCurve(
            keys: server, sensors: CurveAllowList([sensor.publicKey: "wrist"]),
            consumers: consumers)
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: LogCapture().logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let context = try ZMQContext()
        func client(_ keys: CurveKeyPair) -> CurveClient { CurveClient(serverKey: server.publicKey, keys: keys) }
        // The restricted consumer asks for everything, for subject 8 by name, and for "label/7" (also
        // a prefix of subject 70's topic): it must get subject 7 and nothing else.
        let restricted = try ZMQSocket(context: context, type: .sub)
        defer { restricted.close() }
        for topic in [Topic.allLabels, Topic.label(subject: 8), "label/7", ""] { try restricted.subscribe(topic) }
        try restricted.attach([.connect(bound.labels[0])], curve: client(ward))
        let unrestricted = try ZMQSocket(context: context, type: .sub)
        defer { unrestricted.close() }
        try unrestricted.subscribe(Topic.allLabels)
        try unrestricted.attach([.connect(bound.labels[0])], curve: client(dashboard))
        let sensorSocket = try ZMQSocket(context: context, type: .pub)
        defer { sensorSocket.close() }
        try sensorSocket.attach([.connect(bound.imu[0])], curve: client(sensor))

        // Subjects 7, 8 and 70 stream in real time until both consumers have seen plenty.
        var received: (restricted: [LabelEvent], unrestricted: [LabelEvent]) = ([], [])
        func count(_ events: [LabelEvent], _ subject: UInt32) -> Int { events.filter { $0.subject == subject }.count }
        func drain(_ socket: ZMQSocket) throws -> [LabelEvent] {
            var events: [LabelEvent] = []
            while let parts = try socket.receive(dontWait: true) {
                events.append(try LabelEvent.decode(message: parts))
            }
            return events
        }
        var sequence: UInt64 = 0
        var next = MonotonicClock.now()
        let deadline = next + 15_000_000_000
        func enough() -> Bool {
            count(received.restricted, 7) >= 4 && [7, 8, 70].allSatisfy { count(received.unrestricted, $0) >= 4 }
        }
        while MonotonicClock.now() < deadline && !enough() {
            if MonotonicClock.now() >= next {
                for subject: UInt32 in [7, 8, 70] {
                    let frame = Frames.imu(
                        subject: subject, sequence: sequence, start: next - 80_000_000,
                        value: Float(subject % 3))
                    try sensorSocket.send(FrameCodec.message(frame))
                }
                sequence += 1
                next += 100_000_000
            }
            let ready = try ZMQPoll.readable([restricted, unrestricted], timeoutMilliseconds: 10)
            if ready[0] { received.restricted += try drain(restricted) }
            if ready[1] { received.unrestricted += try drain(unrestricted) }
        }
        XCTAssertGreaterThanOrEqual(count(received.restricted, 7), 4, "the restricted consumer gets its subject")
        for subject: UInt32 in [7, 8, 70] {
            XCTAssertGreaterThanOrEqual(
                count(received.unrestricted, subject), 4,
                "the unrestricted consumer gets subject \(subject)")
        }
        XCTAssertEqual(Set(received.restricted.map(\.subject)), [7], "subjects the restricted consumer received")
        // Several of its subscriptions cover subject 7: each label still arrives once.
        let ends = received.restricted.filter { $0.subject == 7 }.map(\.windowEndNanoseconds)
        XCTAssertEqual(ends.count, Set(ends).count, "a label reached the restricted consumer twice")
    }

    /// What each subscription becomes: the request itself unrestricted; its intersection with the granted
    /// subjects' label and action topics otherwise; and a name no longer listed is granted nothing.
    func testSubscriptionsAreNarrowedToTheGrantedSubjects() throws {
        func topics(_ request: String, _ grant: CurveAllowList.Grant) -> [String] {
            let request = LabelSubscription(subscribe: true, topic: request)
            return request.granted(to: grant).map { String(decoding: $0, as: UTF8.self) }
        }
        XCTAssertEqual(topics("label/", .all), ["label/"])
        XCTAssertEqual(topics("", .subjects([8, 7])), ["label/7/", "action/7/", "label/8/", "action/8/"])
        XCTAssertEqual(topics("label/", .subjects([7, 70])), ["label/7/", "label/70/"])
        XCTAssertEqual(topics("label/7", .subjects([7])), ["label/7/"], "not subject 70's topic")
        XCTAssertEqual(topics("label/7/x", .subjects([7])), ["label/7/x"], "a narrower request stays narrow")
        XCTAssertEqual(topics("label/8/", .subjects([7])), [])
        XCTAssertEqual(
            LabelSubscription(message: [[0] + Array("label/".utf8)]),
            LabelSubscription(subscribe: false, topic: "label/"))
        XCTAssertNil(LabelSubscription(message: [[2, 65]]), "not a subscription")
        XCTAssertNil(LabelSubscription(message: [[1], [65]]), "not a subscription")

        let key = try CurveKeys.generate().publicKey
        let other = try CurveKeys.generate().publicKey
        let list = try CurveAllowList.parse("\(key.z85) ward-a subjects=7-8\n\(other.z85) dashboard\n", source: "test")
        XCTAssertEqual(list.grant(of: "ward-a"), .subjects([7, 8]))
        XCTAssertEqual(list.grant(of: "dashboard"), .all)
        XCTAssertNil(list.grant(of: "removed-by-reload"))
    }
}
