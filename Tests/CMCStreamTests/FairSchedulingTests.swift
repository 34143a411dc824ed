import CMCCore
import Foundation
import CMCTestSupport
import XCTest
@testable import CMCStream

/// Inference time is shared per publisher (issue 10, item 3): a sensor key flooding windows of many
/// subjects gets its share and loses its oldest windows, while a well-behaved sensor's subject keeps
/// its labels — every hop, with a latency bounded by a couple of batches, never skipped as busy.
final class FairSchedulingTests: XCTestCase {
    func testAFloodingPublisherCannotStarveAWellBehavedSubject() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        var scenario = try FloodScenario(wristSubjects: [7])
        let (wrist, flooder, consumer) = (scenario.wrist, scenario.flooder, scenario.consumer)
        // 10 ms a window on two workers serves 200 windows/s; the flood asks for 600 (300 subjects, a
        // window each every 0.5 s). Small batches keep the wait for one batch short.
        scenario.config.workers = 2
        scenario.config.maxBatch = 4
        let pipeline = try StreamPipeline(
            config: scenario.config, classifier: TestClassifier(delaySeconds: 0.01),
            logger: LogCapture().logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let m = pipeline.metrics
        let context = try ZMQContext()
        let client = scenario.client

        // The flood: 300 invented subjects, real-time IMU in 0.2 s frames, from its own thread and socket.
        let flood = Flood(
            context: context, endpoint: bound.imu[0], curve: client(flooder), subjects: 1_000..<1_300,
            periodNanoseconds: 200_000_000)
        defer { flood.stop() }
        eventually(timeout: 10, "the flood saturates the workers") { m.windowsInFlight.current >= 100 }

        let labels = try ZMQSocket(context: context, type: .sub)
        defer { labels.close() }
        try labels.subscribe(Topic.label(subject: 7))
        try labels.attach([.connect(bound.labels[0])], curve: client(consumer))
        let sensor = try ZMQSocket(context: context, type: .pub)
        defer { sensor.close() }
        try sensor.attach([.connect(bound.imu[0])], curve: client(wrist))

        // Subject 7 streams in real time (0.1 s frames) for 6 s; its labels are collected meanwhile.
        var events: [LabelEvent] = []
        var sequence: UInt64 = 0
        var next = MonotonicClock.now()
        let end = next + 6_000_000_000
        while MonotonicClock.now() < end {
            if MonotonicClock.now() >= next {
                let frame = Frames.imu(subject: 7, sequence: sequence, start: next - 80_000_000, value: 2)
                try sensor.send(FrameCodec.message(frame))
                sequence += 1
                next += 100_000_000
            }
            let wait = max(1, Int((next - MonotonicClock.now()) / 1_000_000))
            if try ZMQPoll.readable([labels], timeoutMilliseconds: wait)[0] {
                while let parts = try labels.receive(dontWait: true) {
                    events.append(try LabelEvent.decode(message: parts))
                }
            }
        }
        flood.stop()

        // The first windows may be missed by the subscriber (slow joiner); from the first one received,
        // every hop must be labelled: a busy skip shows as a window end two hops after the previous.
        XCTAssertGreaterThanOrEqual(events.count, 6, "subject 7 got \(events.count) labels in 6 s")
        let hop = Int64(scenario.config.hopSeconds * 1e9)
        for (previous, event) in zip(events, events.dropFirst()) {
            XCTAssertEqual(
                event.windowEndNanoseconds - previous.windowEndNanoseconds, hop,
                "a window of subject 7 was skipped (labels at \(events.map(\.windowEndNanoseconds)))")
        }
        XCTAssertEqual(events.map(\.label), Array(repeating: "wave", count: events.count))
        // Bounded latency: a batch in progress plus its own (4 × 10 ms each), with slack for a loaded
        // machine; served first-come-first-served it would wait behind the whole flood (~1.5 s).
        let worst = events.map(\.endToEndMilliseconds).max() ?? .infinity
        XCTAssertLessThan(worst, 300, "subject 7 latencies (ms): \(events.map(\.endToEndMilliseconds))")
        // The flood lost its oldest windows, counted; subject 7 none (every hop was labelled above).
        XCTAssertGreaterThan(m.skipped(.queueFull).current, 0)
        XCTAssertTrue(m.registry.render().contains(#"cmc_windows_skipped_total{reason="queue_full"}"#))
    }

    /// The queue itself: publishers are served one window each in turn, whatever their backlog, and a
    /// full lane gives up its oldest window.
    func testTheQueueServesPublishersInTurnAndDropsTheOldest() {
        let queue = WorkQueue(capacityPerLane: 3)
        let flood = Publisher(MessageOrigin(user: "flood"))
        let wrist = Publisher(MessageOrigin(user: "wrist"))
        let local = Publisher(MessageOrigin())
        func item(_ subject: UInt32) -> WorkItem {
            WorkItem(
                window: Window(subject: subject, start: 0, end: 1, inertial: nil, skeleton: nil, readyAt: 0),
                classifier: TestClassifier())
        }
        var dropped: [UInt32] = []
        for subject: UInt32 in 100..<105 {
            if let old = queue.put(item(subject), from: flood) { dropped.append(old.window.subject) }
        }
        XCTAssertEqual(dropped, [100, 101], "the flood's lane keeps its newest 3")
        XCTAssertNil(queue.put(item(7), from: wrist))
        XCTAssertNil(queue.put(item(8), from: wrist))
        XCTAssertNil(queue.put(item(1), from: local))
        XCTAssertEqual(queue.queuedCounts, [flood: 3, wrist: 2, local: 1])
        XCTAssertEqual(queue.take(max: 4)?.map(\.window.subject), [102, 7, 1, 103])
        XCTAssertEqual(queue.take(max: 4)?.map(\.window.subject), [8, 104])
        XCTAssertEqual(queue.queuedCounts, [:], "empty lanes are forgotten")
        queue.close()
        XCTAssertNil(queue.take(max: 4))
        // Identities: a CURVE key beats the address; an address beats nothing.
        XCTAssertEqual(Publisher(MessageOrigin(user: "wrist", peerAddress: "10.0.0.5")), wrist)
        XCTAssertEqual(Publisher(MessageOrigin(peerAddress: "10.0.0.5")).name, "address:10.0.0.5")
        XCTAssertEqual(local.name, "local")
    }
}

/// Without CURVE a publisher is known by its TCP peer address: libzmq must report it on every frame.
final class MessageOriginTests: XCTestCase {
    func testATCPMessageNamesItsPeerAddress() throws {
        let context = try ZMQContext()
        let pub = try ZMQSocket(context: context, type: .pub)
        defer { pub.close() }
        try pub.bind("tcp://127.0.0.1:*")
        let sub = try joinedSubscriber(context: context, connect: try pub.lastEndpoint(), prefix: "probe") {
            try pub.send([Array("probe".utf8)])
        }
        defer { sub.close() }
        try pub.send([Array("probe".utf8), [1]])
        var origin: MessageOrigin?
        eventually(timeout: 5, "the message arrives") {
            if let (_, from) = try? sub.receiveWithSender(dontWait: true) { origin = from }
            return origin != nil
        }
        XCTAssertEqual(origin, MessageOrigin(user: nil, peerAddress: "127.0.0.1"))
    }
}
