import XCTest
import CMCCore
@testable import CMCStream

/// What a consumer sees of a subject across evictions: a subject still sending keeps its slot, and one
/// that was forgotten and comes back never numbers its labels or actions backwards.
final class SubjectContinuityTests: XCTestCase {
    private let second: Int64 = 1_000_000_000
    /// A periodic window that did not give a label event.
    private struct NoLabel: Error {}

    /// A subject whose frames are all being dropped (its clock stepped and the step is not adopted yet)
    /// is still sending: a newcomer must not take its slot as if it were silent.
    func testASubjectWhoseFramesAreDroppedIsNotEvictedAsSilent() throws {
        var buffer = BufferPolicy()
        buffer.maxSubjects = 1
        var clock = ClockPolicy()
        clock.mode = .aligned
        var a = WindowAssembler(spec: TestClassifier().spec, buffer: buffer, clock: clock, hopSeconds: 0.5)
        let origin: Int64 = 100 * second // daemon time at sensor time 0
        var sequence: UInt64 = 0
        var sensor: Int64 = 0
        func send(at arrival: Int64, sensorStep: Int64 = 0) throws -> WindowAssembler.IngestOutcome {
            defer {
                sequence += 1
                sensor += 100_000_000
            }
            return try a.ingest(
                Frames.imu(subject: 1, sequence: sequence, start: sensor + sensorStep), arrival: arrival)
        }
        while sensor < 5 * second {
            guard case .buffered = try send(at: origin + sensor + 80_000_000) else { return XCTFail("not buffered") }
        }
        // The sensor clock jumps 10 s ahead: refused as future until the step persists for 2 s.
        let stepped = origin + sensor
        while sensor < 6_500_000_000 {
            XCTAssertEqual(try send(at: origin + sensor + 80_000_000, sensorStep: 10 * second), .dropped(.future))
        }
        let now = origin + sensor
        XCTAssertGreaterThan(now - stepped, Int64(buffer.staleAfterSeconds * 1e9), "nothing buffered for > 1 s")
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 2, sequence: 0, start: sensor), arrival: now), .dropped(.subjectLimit),
            "subject 1 is still sending: the newcomer waits")
        XCTAssertNotNil(a.publisher(of: 1))
        XCTAssertEqual(a.evictIdle(now: now), [])
    }

    /// Labels of a subject the daemon forgot (evicted) and heard from again go on where they stopped;
    /// beyond the subjects it remembers, above every number given before: a consumer tracking `seq`
    /// never sees it go back within a daemon run.
    func testAForgottenSubjectsLabelSequenceNeverGoesBack() throws {
        var composer = EventComposer(smoothing: SmoothingPolicy(), clock: "monotonic")
        let classes = TestClassifier.classes
        func label(_ subject: UInt32) throws -> UInt64 {
            let window = Window(subject: subject, start: 0, end: second, inertial: nil, skeleton: nil, readyAt: 0)
            let event = composer.event(
                for: window, probabilities: [0.8, 0.1, 0.1], classNames: classes, spec: TestClassifier().spec,
                modelID: nil, timing: .init(inferenceSeconds: 0, now: 0))
            guard case .label(let label)? = event else { throw NoLabel() }
            return label.sequence
        }
        XCTAssertEqual(try (0..<3).map { _ in try label(7) }, [0, 1, 2])
        XCTAssertEqual(try label(8), 0, "a subject new to the daemon starts at 0")
        composer.forget(subject: 7)
        XCTAssertEqual(try label(7), 3, "seq goes on where it stopped after an eviction")
        XCTAssertEqual(try label(8), 1, "other subjects are untouched")
        composer.forget(subject: 7)
        // A flood of invented ids, each labelled and forgotten, pushes subject 7 out of the memory.
        let flood = UInt32(1000)..<UInt32(1000 + EventComposer.rememberedSubjects + 10)
        var last: UInt64 = 0
        for id in flood {
            for _ in 0..<6 { last = try label(id) }
            composer.forget(subject: id)
        }
        let after = try label(7)
        XCTAssertGreaterThanOrEqual(after, 4, "seq went back from 3 after subject 7 was no longer remembered")
        XCTAssertEqual(try label(flood.upperBound - 1), last + 1, "the latest forgotten are remembered exactly")
        XCTAssertGreaterThanOrEqual(after, 6, "above every seq (0…5) of the forgotten ids no longer remembered")
        XCTAssertEqual(try label(9), after, "a subject new to the daemon starts above the forgotten ones")
    }

    /// The same for action ids: a subject evicted as idle and streaming again numbers its actions on
    /// from above those it had.
    func testAForgottenSubjectsActionIDsNeverGoBack() throws {
        let units: [SensorUnit] =
            Array(repeating: .metresPerSecondSquared, count: 3) + Array(repeating: .radiansPerSecond, count: 3)
        let spec = ClassifierSpec(
            classNames: ["a", "b"], windowSeconds: 2, inertialChannels: 6, inertialUnits: units,
            skeletonCoordinates: nil, skeletonJoints: nil)
        var clock = ClockPolicy()
        clock.mode = .shared
        var a = WindowAssembler(spec: spec, buffer: BufferPolicy(), clock: clock, hopSeconds: 0.5)
        var sequence: UInt64 = 0
        /// Streams 6 s from `start` (50 Hz, frames of 5), rotating from 1 s to 3 s; returns the action ids cut.
        func session(from start: Int64) throws -> [UInt64] {
            var ids: [UInt64] = []
            var t = start
            while t < start + 6 * second {
                var values: [Float] = []
                for k in 0..<5 {
                    let s = Double(t - start + Int64(k) * 20_000_000) * 1e-9
                    values += [0, 0, 9.81, (1...3).contains(s) ? Float(2 * sin(2 * .pi * 2 * s)) : 0, 0, 0]
                }
                let frame = SensorFrame(
                    modality: .inertial, subject: 4, sequence: sequence, channels: 6, joints: 0, units: units,
                    timing: .regular(start: t, periodNanoseconds: 20_000_000), values: values)
                sequence += 1
                t += 100_000_000
                _ = try a.ingest(frame, arrival: t)
                ids += a.cutActions(subject: 4, now: t).compactMap { window in
                    if case .action(let action) = window.purpose { return action.id }
                    return nil
                }
            }
            return ids
        }
        let first = try session(from: 10 * second)
        XCTAssertEqual(first, [0])
        XCTAssertEqual(a.evictIdle(now: 50 * second).map(\.subject), [4])
        let later = try session(from: 60 * second)
        XCTAssertEqual(later.count, 1)
        XCTAssertGreaterThan(later.first ?? 0, 0, "action ids went back to 0 after the subject was evicted")
    }
}
