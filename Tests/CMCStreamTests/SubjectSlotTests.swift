import CMCCore
import Foundation
import CMCTestSupport
import XCTest
@testable import CMCStream

/// Subject slots are shared per publisher (issue 10, item 3): a key inventing thousands of subject ids,
/// each spoken to often enough never to fall silent, cannot keep another key's new subject out of a
/// full table — before, it was locked out for as long as the flood lasted (23–34 s in the issue).
final class SubjectSlotTests: XCTestCase {
    func testAFloodOfInventedSubjectsCannotLockAnotherPublisherOut() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        var scenario = try FloodScenario(wristSubjects: [7, 8])
        let (wrist, flooder, consumer) = (scenario.wrist, scenario.flooder, scenario.consumer)
        scenario.config.buffer.maxSubjects = 16
        scenario.config.buffer.evictAfterSeconds = 2 // the warm-up subject leaves the table before the flood
        let log = LogCapture()
        let pipeline = try StreamPipeline(config: scenario.config, classifier: TestClassifier(), logger: log.logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let m = pipeline.metrics
        let context = try ZMQContext()
        let client = scenario.client

        let labels = try ZMQSocket(context: context, type: .sub)
        defer { labels.close() }
        try labels.subscribe(Topic.label(subject: 7))
        try labels.subscribe(Topic.label(subject: 8))
        try labels.attach([.connect(bound.labels[0])], curve: client(consumer))
        let sensor = try ZMQSocket(context: context, type: .pub)
        defer { sensor.close() }
        try sensor.attach([.connect(bound.imu[0])], curve: client(wrist))

        /// Streams `subject` in real time (0.1 s frames; the first carries the window before it, as a
        /// sensor that buffered while connecting would) until `seconds` pass or `enough` says so.
        /// Returns its labels, each with the time from the first frame to its arrival.
        func stream(_ subject: UInt32, seconds: Double, until enough: ([LabelEvent]) -> Bool = { _ in false }) throws
            -> [(event: LabelEvent, afterSeconds: Double)]
        {
            var received: [(event: LabelEvent, afterSeconds: Double)] = []
            let first = MonotonicClock.now()
            let end = first + Int64(seconds * 1e9)
            var sequence: UInt64 = 0
            var next = first
            while MonotonicClock.now() < end && !enough(received.map(\.event)) {
                if MonotonicClock.now() >= next {
                    let samples = sequence == 0 ? 50 : 5
                    let start = next - Int64(samples - 1) * 20_000_000
                    try sensor.send(
                        FrameCodec.message(
                            Frames.imu(
                                subject: subject, sequence: sequence, start: start,
                                samples: samples, value: 2)))
                    sequence += 1
                    next += 100_000_000
                }
                let wait = max(1, Int((next - MonotonicClock.now()) / 1_000_000))
                guard try ZMQPoll.readable([labels], timeoutMilliseconds: wait)[0] else { continue }
                while let parts = try labels.receive(dontWait: true) {
                    let event = try LabelEvent.decode(message: parts)
                    received.append((event, Double(MonotonicClock.now() - first) * 1e-9))
                }
            }
            return received.filter { $0.event.subject == subject }
        }

        // Warm-up on subject 8: the wrist's frames and the consumer's subscription both get through (a
        // PUB drops what it sends before the daemon's subscription reaches it). Then the table empties.
        let warmUp = try stream(8, seconds: 10, until: { !$0.isEmpty })
        XCTAssertFalse(warmUp.isEmpty, "no label for the warm-up subject 8")
        eventually(timeout: 10, "subject 8 is forgotten") { m.subjectsActive.current == 0 }

        // The flood: 2,000 invented ids, each spoken to every 0.5 s (4,000 frames/s), so the 16 it holds
        // never fall silent (1 s) and its other ids keep asking for a slot.
        let flood = Flood(
            context: context, endpoint: bound.imu[0], curve: client(flooder), subjects: 1_000..<3_000,
            periodNanoseconds: 500_000_000)
        defer { flood.stop() }
        eventually(timeout: 10, "the flood holds every slot and is refused more") {
            m.subjectsActive.current == 16 && m.dropped(.inertial, .subjectLimit).current > 100
        }
        let refusedBefore = m.dropped(.inertial, .subjectLimit).current

        // Subject 7 of another key arrives while the flood goes on: it gets a slot at once (its first
        // frame carries a full window, so its first label is due at once) and keeps it.
        let labelled = try stream(7, seconds: 3)
        XCTAssertGreaterThan(
            m.dropped(.inertial, .subjectLimit).current, refusedBefore + 1_000,
            "the flood went on asking for slots meanwhile")
        flood.stop()
        let firstAfter = labelled.first?.afterSeconds ?? .infinity
        XCTAssertLessThan(firstAfter, 1, "subject 7's first label came \(firstAfter) s after its first frame")
        let events = labelled.map(\.event)
        XCTAssertGreaterThanOrEqual(events.count, 5, "subject 7 got \(events.count) labels in 3 s")
        let hop = Int64(scenario.config.hopSeconds * 1e9)
        for (previous, event) in zip(events, events.dropFirst()) {
            XCTAssertEqual(
                event.windowEndNanoseconds - previous.windowEndNanoseconds, hop,
                "subject 7 lost its slot (labels at \(events.map(\.windowEndNanoseconds)))")
        }
        XCTAssertEqual(events.map(\.label), Array(repeating: "wave", count: events.count))
        // Subject 7 took a slot from the flood, counted and logged (once: the flood has more to lose
        // only if another publisher asks); the flood's further ids were refused, not let in.
        eventually(timeout: 2, "the eviction is counted") { m.subjectsEvicted(.overShare).current == 1 }
        XCTAssertTrue(m.registry.render().contains(#"cmc_subjects_evicted_total{reason="over_share"} 1"#))
        XCTAssertEqual(m.subjectsActive.current, 16)
        let logged = log.lines.current.filter { $0.contains("gave its slot") }
        XCTAssertEqual(logged.count, 1, "\(logged)")
        XCTAssertTrue(
            logged.first?.contains("new subject of key:wrist-7, its publisher key:flood held more") ?? false,
            "\(logged)")
    }
}
