import XCTest
import CMCCore
@testable import CMCStream

final class WindowAssemblerTests: XCTestCase {
    private let spec = TestClassifier().spec
    private let second: Int64 = 1_000_000_000

    private func assembler(_ configure: (inout BufferPolicy) -> Void = { _ in }) -> WindowAssembler {
        var buffer = BufferPolicy()
        configure(&buffer)
        var clock = ClockPolicy()
        clock.mode = .shared
        // These tests are about windowing; segmentation has its own (`SegmentingAssemblerTests`).
        var segmentation = SegmenterPolicy()
        segmentation.enabled = false
        return WindowAssembler(spec: spec, buffer: buffer, clock: clock, hopSeconds: 0.5, segmentation: segmentation)
    }

    /// Feeds frames as if each arrived at its last sample's time, cutting after each; returns the windows.
    private func feed(_ a: inout WindowAssembler, _ frames: [SensorFrame], finish: Bool = true) throws -> [Window] {
        var windows: [Window] = []
        for f in frames {
            let arrival = f.timing.timestamp(ofSample: f.sampleCount - 1)
            guard case .buffered = try a.ingest(f, arrival: arrival) else {
                XCTFail("frame dropped")
                continue
            }
            if case .window(let w) = a.cut(subject: f.subject, now: arrival) {
                windows.append(w)
                if finish { a.finished(subject: w.subject) }
            }
        }
        return windows
    }

    func testWindowsAreCutOnAHopGridWithBothModalitiesInTheDocumentedLayout() throws {
        var a = assembler()
        let windows = try feed(&a, Frames.stream(subject: 1, end: 10 * second, seconds: 3, value: 2))
        XCTAssertGreaterThanOrEqual(windows.count, 4)
        for (w, next) in zip(windows, windows.dropFirst()) { XCTAssertEqual(next.end - w.end, second / 2) }
        let w = try XCTUnwrap(windows.last)
        XCTAssertEqual(w.end - w.start, second)
        XCTAssertEqual(w.modalities, [.inertial, .skeleton])
        let imu = try XCTUnwrap(w.inertial)
        let skel = try XCTUnwrap(w.skeleton)
        XCTAssertEqual(imu.count, 50, accuracy: 1) // 1 s at 50 Hz
        XCTAssertEqual(skel.count, 30, accuracy: 1) // 1 s at 30 Hz
        XCTAssertEqual(imu.values.count, 3 * imu.count)
        XCTAssertEqual(skel.values.count, 3 * skel.count * 4)
        XCTAssertTrue(imu.times.allSatisfy { $0 > 0 && $0 <= 1 })
        XCTAssertEqual(imu.times, imu.times.sorted())
        // C × T row-major: channel 0 is all 2s, channel 1 all 1s, channel 2 all 2s (see Frames.imu).
        XCTAssertEqual(Set(imu.values[0..<imu.count]), [2])
        XCTAssertEqual(Set(imu.values[imu.count..<2 * imu.count]), [1])
        // C × T × J: coordinate 0 of joint 0 carries the value, everything else 0.5.
        XCTAssertEqual((0..<skel.count).map { skel.values[$0 * 4] }, Array(repeating: 2, count: skel.count))
        XCTAssertEqual(skel.values[1], 0.5)
    }

    func testMissingSkeletonFallsBackToIMUOnly() throws {
        var a = assembler()
        let windows = try feed(&a, Frames.stream(subject: 5, end: 10 * second, seconds: 2, value: 1, skeleton: false))
        XCTAssertFalse(windows.isEmpty)
        XCTAssertTrue(windows.allSatisfy { $0.modalities == [.inertial] })
    }

    func testStaleModalityIsLeftOutOnceItsStreamStops() throws {
        var a = assembler()
        var frames = Frames.stream(subject: 1, end: 10 * second, seconds: 2, value: 1)
        frames += Frames.stream(subject: 1, end: 12 * second, seconds: 2, value: 1, skeleton: false, firstSequence: 100)
            .filter { $0.timing.start > 10 * second }
        let windows = try feed(&a, frames)
        XCTAssertEqual(windows.first { $0.end <= 10 * second }?.modalities, [.inertial, .skeleton])
        XCTAssertEqual(windows.last?.modalities, [.inertial]) // skeleton silent for > staleAfter (1 s)
    }

    func testGapsMakeAWindowIncomplete() throws {
        var a = assembler()
        let frames = Frames.stream(subject: 2, end: 10 * second, seconds: 3, value: 1, skeleton: false)
            .filter { !(8_200_000_000...8_700_000_000).contains($0.timing.start) } // a 0.6 s hole
        var skipped = 0
        for f in frames {
            let t = f.timing.timestamp(ofSample: f.sampleCount - 1)
            _ = try a.ingest(f, arrival: t)
            switch a.cut(subject: 2, now: t) {
            case .window(let w):
                // No emitted window may contain a gap beyond maxGapSeconds (0.25 s), edges included.
                let times = try XCTUnwrap(w.inertial?.times)
                let gaps = zip([0] + times, times + [1]).map { $1 - $0 }
                XCTAssertLessThanOrEqual(gaps.max()!, 0.25 + 1e-9, "window \(w.start)...\(w.end)")
                XCTAssertFalse(w.start < 8_180_000_000 && w.end > 8_800_000_000, "window spans the hole")
                a.finished(subject: 2)
            case .skipped(.incomplete): skipped += 1
            default: break
            }
        }
        XCTAssertGreaterThan(skipped, 0)
    }

    func testBusySubjectSkipsWindowsInsteadOfQueueingThem() throws {
        var a = assembler()
        let windows = try feed(&a, Frames.stream(subject: 1, end: 10 * second, seconds: 3, value: 1), finish: false)
        XCTAssertEqual(windows.count, 1) // the rest were skipped as busy while the first was in flight
    }

    func testFramesThatDoNotFitTheModelAreRejectedByField() {
        var a = assembler()
        XCTAssertThrowsError(try a.ingest(Frames.imu(subject: 1, sequence: 0, start: 0, channels: 6), arrival: 0)) {
            XCTAssertEqual(($0 as! WireError).field, "header.channels")
        }
        XCTAssertThrowsError(try a.ingest(Frames.skeleton(subject: 1, sequence: 0, start: 0, joints: 20), arrival: 0)) {
            XCTAssertEqual(($0 as! WireError).field, "header.joints")
        }
        var withUnits = spec
        withUnits.inertialUnits = [.metresPerSecondSquared, .metresPerSecondSquared, .radiansPerSecond]
        a.replaceSpec(withUnits)
        XCTAssertThrowsError(
            try a.ingest(
                Frames.imu(
                    subject: 1, sequence: 0, start: 0, units: [.standardGravity, .radiansPerSecond, .radiansPerSecond]),
                arrival: 0)
        ) {
            XCTAssertEqual(($0 as! WireError).field, "units[1]")
        }
    }

    func testPixelSkeletonsAndOverflowingConversionsAreRefusedByField() throws {
        let spec = ClassifierSpec(
            classNames: ["a"], windowSeconds: 1, inertialChannels: 3,
            inertialUnits: [.metresPerSecondSquared, .metresPerSecondSquared, .metresPerSecondSquared],
            skeletonCoordinates: 3, skeletonJoints: 4, skeletonUnit: .metres)
        var a = WindowAssembler(spec: spec, buffer: BufferPolicy(), clock: ClockPolicy(), hopSeconds: 0.5)
        var pixels = Frames.skeleton(subject: 1, sequence: 0, start: second)
        pixels.units = [.pixels, .pixels, .pixels]
        XCTAssertThrowsError(try a.ingest(pixels, arrival: second)) {
            XCTAssertTrue("\($0)".contains("units[0]"), "\($0)")
        }
        var millimetres = pixels
        millimetres.units = [.millimetres, .millimetres, .millimetres]
        XCTAssertNoThrow(try a.ingest(millimetres, arrival: second))
        var huge = Frames.imu(
            subject: 1, sequence: 0, start: second, value: 3e38,
            units: [.standardGravity, .standardGravity, .standardGravity])
        huge.sequence = 1
        XCTAssertThrowsError(try a.ingest(huge, arrival: second)) {
            XCTAssertTrue("\($0)".contains("overflows"), "\($0)")
        }
    }

    func testValuesAreConvertedToCanonicalUnits() throws {
        var a = assembler()
        let frames = Frames.stream(subject: 1, end: 10 * second, seconds: 2, value: 1, skeleton: false).map {
            f -> SensorFrame in
            var g = f
            g.units = [.standardGravity, .degreesPerSecond, .unspecified]
            return g
        }
        let w = try XCTUnwrap(try feed(&a, frames).last?.inertial)
        XCTAssertEqual(w.values[0], 9.80665, accuracy: 1e-5)
        XCTAssertEqual(w.values[w.count], .pi / 180, accuracy: 1e-6)
        XCTAssertEqual(w.values[2 * w.count], 2)
    }

    func testLateDuplicateFutureAndRateLimitedFramesAreDropped() throws {
        var a = assembler { $0.maxFramesPerSecond = 10 }
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 1, sequence: 0, start: 5 * second), arrival: 5 * second + 100),
            .buffered(lost: 0, sequenceReset: false, clockResynced: false, refused: 0))
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 1, sequence: 1, start: 5 * second), arrival: 5 * second + 200),
            .dropped(.duplicate))
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 1, sequence: 5, start: 4 * second), arrival: 5 * second + 300),
            .dropped(.late))
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 1, sequence: 6, start: 9 * second), arrival: 5 * second + 400),
            .dropped(.future))
        // Missing: 2, 3, 4 (before the late frame 5) and 7, 8: gaps before dropped frames count too.
        XCTAssertEqual(
            try a.ingest(
                Frames.imu(subject: 1, sequence: 9, start: 5 * second + 100_000_000), arrival: 5 * second + 500),
            .buffered(lost: 5, sequenceReset: false, clockResynced: false, refused: 0))
        var outcomes: [WindowAssembler.IngestOutcome] = []
        for k in 0..<20 {
            outcomes.append(
                try a.ingest(
                    Frames.imu(subject: 1, sequence: UInt64(10 + k), start: 6 * second + Int64(k) * 100_000_000),
                    arrival: 8 * second))
        }
        XCTAssertTrue(outcomes.contains(.dropped(.rateLimit)))
        // Frames the rate limiter refused were received: the next admitted one reports no loss.
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 1, sequence: 30, start: 9 * second), arrival: 10 * second),
            .buffered(lost: 0, sequenceReset: false, clockResynced: false, refused: 0))
    }

    func testSubjectLimitAndEviction() throws {
        var a = assembler {
            $0.maxSubjects = 2
            $0.evictAfterSeconds = 5
        }
        for s: UInt32 in 1...2 { _ = try a.ingest(Frames.imu(subject: s, sequence: 0, start: second), arrival: second) }
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 3, sequence: 0, start: second), arrival: second), .dropped(.subjectLimit))
        XCTAssertEqual(a.activeSubjects, 2)
        XCTAssertEqual(a.evictIdle(now: 7 * second).map(\.subject).sorted(), [1, 2])
        XCTAssertEqual(a.activeSubjects, 0)
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 3, sequence: 0, start: 8 * second), arrival: 8 * second),
            .buffered(lost: 0, sequenceReset: false, clockResynced: false, refused: 0))
    }

    func testSilentSubjectsGiveWayToNewOnesWhenTheTableIsFull() throws {
        var a = assembler { $0.maxSubjects = 100 }
        // A flood of invented ids, one frame each, fills every slot.
        for s: UInt32 in 1000..<1100 {
            _ = try a.ingest(Frames.imu(subject: s, sequence: 0, start: second), arrival: second)
        }
        XCTAssertEqual(a.activeSubjects, 100)
        // A real subject streaming right after them waits (every squatter spoke within the stale limit)…
        XCTAssertEqual(
            try a.ingest(Frames.imu(subject: 7, sequence: 0, start: second), arrival: second + second / 2),
            .dropped(.subjectLimit))
        // …but once the squatters are silent for a second, it gets in, and keeps its slot while it streams.
        var t = 3 * second
        for k: UInt64 in 0..<20 {
            XCTAssertEqual(
                try a.ingest(Frames.imu(subject: 7, sequence: k, start: t), arrival: t),
                .buffered(lost: 0, sequenceReset: false, clockResynced: false, refused: 0))
            // The flood goes on with fresh ids, evicting its own silent ids, never subject 7.
            _ = try a.ingest(Frames.imu(subject: 5000 + UInt32(k), sequence: 0, start: t), arrival: t)
            t += 100_000_000
        }
        XCTAssertNotNil(a.bufferedCounts(subject: 7))
        XCTAssertEqual(a.activeSubjects, 100)
        let evicted = a.evictIdle(now: t)
        XCTAssertEqual(Set(evicted.map(\.subject)).count, 21, "evicted ids are reported for the daemon to forget")
        XCTAssertEqual(Set(evicted.map(\.reason)), [.silent], "one publisher: only silent subjects give way")
    }

    /// The assembler applies the choice: a publisher streaming to every slot of a full table loses its
    /// least recently active subject to another publisher's new one, and cannot take it back.
    func testTheAssemblerEvictsFromThePublisherOverItsShare() throws {
        var a = assembler { $0.maxSubjects = 4 }
        let flood = Publisher(MessageOrigin(user: "flood"))
        let wrist = Publisher(MessageOrigin(user: "wrist"))
        func ingest(_ subject: UInt32, at t: Int64, from publisher: Publisher) throws -> WindowAssembler.IngestOutcome {
            try a.ingest(Frames.imu(subject: subject, sequence: 0, start: t), arrival: t, from: publisher)
        }
        let buffered = WindowAssembler.IngestOutcome.buffered(
            lost: 0, sequenceReset: false, clockResynced: false,
            refused: 0)
        for s: UInt32 in 100..<104 { XCTAssertEqual(try ingest(s, at: second + Int64(s), from: flood), buffered) }
        let t = second + second / 2 // nobody silent yet (1 s)
        XCTAssertEqual(try ingest(7, at: t, from: wrist), buffered)
        XCTAssertEqual(a.publisher(of: 7), wrist)
        XCTAssertNil(a.publisher(of: 100), "the flood's least recently active subject gave way")
        XCTAssertEqual(try ingest(100, at: t, from: flood), .dropped(.subjectLimit))
        XCTAssertEqual(
            a.evictIdle(now: t),
            [SubjectEviction(subject: 100, publisher: flood, reason: .overShare, newcomer: wrist)])
        XCTAssertEqual(a.activeSubjects, 4)
    }

    func testRingMemoryGrowsWithUseNotWithSubjects() throws {
        var a = assembler()
        for s: UInt32 in 0..<1000 {
            _ = try a.ingest(Frames.imu(subject: s, sequence: 0, start: second), arrival: second)
        }
        // 1,000 subjects of one 3-channel frame each: 64 samples apiece, not the 512 of a full ring.
        XCTAssertEqual(a.allocatedFloats, 1000 * 64 * 3)
        _ = try feed(&a, Frames.stream(subject: 1, end: 20 * second, seconds: 15, value: 1))
        XCTAssertGreaterThan(a.allocatedFloats, 1000 * 64 * 3, "a streaming subject's rings grow")
    }

    func testMemoryStaysBoundedOverALongStream() throws {
        var a = assembler { $0.capacityPerStream = 128 }
        _ = try feed(&a, Frames.stream(subject: 1, end: 100 * second, seconds: 60, value: 1))
        // Retention keeps ~W + margins (≈ 2.7 s ≈ 135 IMU samples) and the capacity caps it at 128.
        let counts = try XCTUnwrap(a.bufferedCounts(subject: 1))
        XCTAssertEqual(counts.inertial, 128)
        XCTAssertLessThanOrEqual(counts.skeleton, 90)
    }

    /// Valid but extreme timestamps (the ±2^62 ns protocol bounds, clock steps both ways, random
    /// jumps) in both clock modes: the assembler must never trap on arithmetic, whatever it decides.
    func testExtremeTimestampsNeverTrap() throws {
        var rng = SeededRNG(seed: 5)
        let limit = FrameCodec.timestampLimit
        for mode in [ClockMode.aligned, .shared] {
            var clock = ClockPolicy()
            clock.mode = mode
            var a = WindowAssembler(spec: spec, buffer: BufferPolicy(), clock: clock, hopSeconds: 0.5)
            for k in 0..<2000 {
                let choices: [Int64] = [
                    -limit, limit - 100_000_000, 0, Int64(rng.uniform(-1, 1) * Double(limit)), Int64(k) * 20_000_000,
                ]
                let start = choices[rng.int(in: 0..<choices.count)]
                let frame =
                    k % 2 == 0
                    ? Frames.imu(subject: UInt32(k % 3), sequence: UInt64(k), start: start)
                    : Frames.skeleton(
                        subject: UInt32(k % 3), sequence: UInt64(k), start: min(start, limit - 100_000_000))
                XCTAssertNoThrow(try FrameCodec.decode(FrameCodec.encode(frame)))
                let now = Int64(k) * 10_000_000 + (rng.bernoulli(0.01) ? limit / 2 : 0)
                _ = try a.ingest(frame, arrival: now)
                if case .window = a.cut(subject: frame.subject, now: now) { a.finished(subject: frame.subject) }
            }
            _ = a.evictIdle(now: limit)
        }
    }
}

/// The assembler with its segmenter: action windows, idle windows, windows narrowed to an action.
final class SegmentingAssemblerTests: XCTestCase {
    private let second: Int64 = 1_000_000_000
    private let spec = ClassifierSpec(
        classNames: ["a", "b"], windowSeconds: 2, inertialChannels: 6,
        inertialUnits: [
            .metresPerSecondSquared, .metresPerSecondSquared, .metresPerSecondSquared,
            .radiansPerSecond, .radiansPerSecond, .radiansPerSecond,
        ],
        skeletonCoordinates: nil, skeletonJoints: nil)

    private func assembler(clock: ClockMode = .shared) -> WindowAssembler {
        var c = ClockPolicy()
        c.mode = clock
        return WindowAssembler(spec: spec, buffer: BufferPolicy(), clock: c, hopSeconds: 0.5)
    }

    /// 50 Hz IMU frames of 5 samples; the gyroscope rotates while `moving(t)`.
    private func frames(seconds: Double, moving: (Double) -> Bool) -> [SensorFrame] {
        var out: [SensorFrame] = []
        var t: Int64 = 0
        var seq: UInt64 = 0
        while t < Int64(seconds * 1e9) {
            var values: [Float] = []
            for k in 0..<5 {
                let s = Double(t + Int64(k) * 20_000_000) * 1e-9
                let g = moving(s) ? Float(2 * sin(2 * .pi * 2 * s)) : 0
                values += [0, 0, 9.81, g, 0, 0]
            }
            out.append(
                SensorFrame(
                    modality: .inertial, subject: 4, sequence: seq, channels: 6, joints: 0,
                    units: [
                        .metresPerSecondSquared, .metresPerSecondSquared, .metresPerSecondSquared,
                        .radiansPerSecond, .radiansPerSecond, .radiansPerSecond,
                    ],
                    timing: .regular(start: t, periodNanoseconds: 20_000_000), values: values))
            t += 100_000_000
            seq += 1
        }
        return out
    }

    func testAnActionComesOutWholeAndWindowsFollowThePhaseAtTheirCentre() throws {
        var a = assembler()
        var actions: [Window] = []
        var periodic: [Window] = []
        for f in frames(seconds: 10, moving: { (3..<5.5).contains($0) }) {
            let arrival = f.timing.timestamp(ofSample: f.sampleCount - 1)
            _ = try a.ingest(f, arrival: arrival)
            actions += a.cutActions(subject: 4, now: arrival)
            if case .window(let w) = a.cut(subject: 4, now: arrival) {
                periodic.append(w)
                a.finished(subject: 4)
            }
        }
        XCTAssertEqual(actions.count, 1)
        let action = try XCTUnwrap(actions.first)
        guard case .action(let segment) = action.purpose else { return XCTFail("not an action window") }
        XCTAssertEqual(Double(segment.start) * 1e-9, 3, accuracy: 0.3)
        XCTAssertEqual(Double(segment.end) * 1e-9, 5.5, accuracy: 0.3)
        // The data is the action plus its padding, all of it.
        XCTAssertEqual(Double(action.end - action.start) * 1e-9, segment.seconds + 0.6, accuracy: 0.01)
        XCTAssertEqual(Double(try XCTUnwrap(action.inertial).count), (segment.seconds + 0.6) * 50, accuracy: 2)

        var idle = 0
        var inAction = 0
        for w in periodic {
            guard case .periodic(let span, let phase) = w.purpose else { return XCTFail("periodic window expected") }
            XCTAssertEqual(span.upperBound - span.lowerBound, 2 * second)
            let centre = Double(span.lowerBound + second) * 1e-9
            switch phase {
            case .idle?:
                idle += 1
                XCTAssertTrue(w.modalities.isEmpty, "idle windows carry no data (no inference)")
                XCTAssertFalse((3.2..<5.3).contains(centre), "idle at \(centre) s, inside the action")
            case .action?:
                inAction += 1
                XCTAssertTrue((2.5..<6).contains(centre), "action at \(centre) s")
                XCTAssertGreaterThanOrEqual(w.start, segment.start - second / 2, "narrowed to the action")
            case nil: break
            }
        }
        XCTAssertGreaterThan(idle, 5)
        XCTAssertGreaterThan(inAction, 2)
    }

    func testAnActionClosedAtItsLongestIsStillCutAndReported() throws {
        var a = assembler()
        var actions: [Window] = []
        for f in frames(seconds: 12, moving: { $0 >= 1 }) {
            let arrival = f.timing.timestamp(ofSample: f.sampleCount - 1)
            _ = try a.ingest(f, arrival: arrival)
            actions += a.cutActions(subject: 4, now: arrival)
        }
        let first = try XCTUnwrap(actions.first, "the 7 s action closed mid-motion must not be lost")
        guard case .action(let segment) = first.purpose else { return XCTFail("not an action") }
        XCTAssertTrue(segment.truncated)
        XCTAssertEqual(segment.seconds, 7, accuracy: 0.11)
        XCTAssertLessThanOrEqual(first.end, segment.end + second / 10, "its padding after the end was not there yet")
    }

    func testAStreamThatStopsMidActionStillGetsItsEvent() throws {
        var a = assembler()
        var last: Int64 = 0
        for f in frames(seconds: 5, moving: { $0 >= 2 }) {
            last = f.timing.timestamp(ofSample: f.sampleCount - 1)
            _ = try a.ingest(f, arrival: last)
            XCTAssertEqual(a.cutActions(subject: 4, now: last).count, 0)
        }
        XCTAssertEqual(a.closeSilentActions(now: last + second / 10).count, 0, "not silent long enough")
        let closed = a.closeSilentActions(now: last + second)
        XCTAssertEqual(closed.count, 1)
    }

    func testAFastSenderGetsAWindowEveryHopOfItsOwnData() throws {
        // Aligned clock; the sender replays 4× faster than real time: 10 s of data in 2.5 s of arrivals.
        var a = assembler(clock: .aligned)
        var windows = 0
        let base: Int64 = 1_000 * second
        for f in frames(seconds: 10, moving: { _ in false }) {
            let t = f.timing.timestamp(ofSample: f.sampleCount - 1)
            let arrival = base + t / 4
            _ = try a.ingest(f, arrival: arrival)
            if case .window = a.cut(subject: 4, now: arrival) {
                windows += 1
                a.finished(subject: 4)
            }
        }
        // (10 s − 2 s first window) / 0.5 s hop + 1 ≈ 17; at wall-clock pace it would be ≈ 2.
        XCTAssertGreaterThanOrEqual(windows, 15)
    }
}
