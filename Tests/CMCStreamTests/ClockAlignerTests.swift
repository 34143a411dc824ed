import XCTest
import CMCCore
@testable import CMCStream

final class ClockAlignerTests: XCTestCase {
    /// Frames every 100 ms from a sensor whose clock is `offset` behind the daemon's and runs at
    /// `1 + drift`, each delayed by a random transport delay of 1-30 ms (min 1 ms). Returns the worst
    /// mapping error over the last half, in ms.
    private func worstError(offset: Int64, driftPPM: Double, seconds: Double, seed: UInt64 = 1) -> Double {
        var aligner = ClockAligner(policy: ClockPolicy())
        var rng = SeededRNG(seed: seed)
        var worst = 0.0
        let steps = Int(seconds * 10)
        for k in 0..<steps {
            let trueTime = Int64(k) * 100_000_000 + 5_000_000_000 // daemon time of the sample
            let sensor = Int64(Double(trueTime) * (1 + driftPPM * 1e-6)) - offset
            let delay = 1_000_000 + Int64(rng.uniform() * rng.uniform() * 29_000_000) // mostly short, some long
            guard case .accepted(let o) = aligner.observe(sensorTime: sensor, arrival: trueTime + delay) else {
                XCTFail("jitter must not look like a clock step")
                return .infinity
            }
            if k > steps / 2 { worst = max(worst, abs(Double(sensor + o - trueTime)) / 1e6) }
        }
        return worst
    }

    func testConstantOffsetUnderJitterConvergesToTheMinimumDelay() {
        let error = worstError(offset: 3_600_000_000_000, driftPPM: 0, seconds: 30)
        XCTAssertLessThan(error, 8) // within the fast-path delays, far below the 30 ms jitter
    }

    func testFollowsASlowAndAFastSensorClock() {
        XCTAssertLessThan(worstError(offset: -7_000_000_000, driftPPM: 200, seconds: 120), 10)
        XCTAssertLessThan(worstError(offset: -7_000_000_000, driftPPM: -200, seconds: 120), 10)
    }

    func testADelaySpikeDoesNotMoveTheEstimate() {
        var a = ClockAligner(policy: ClockPolicy())
        _ = a.observe(sensorTime: 0, arrival: 1_000_000)
        // 300 ms late: only the drift creep (399 ms × 500 ppm)
        XCTAssertEqual(a.observe(sensorTime: 100_000_000, arrival: 400_000_000), .accepted(offset: 1_199_500))
    }

    func testFutureSpikeIsRefusedThenAStepIsAdoptedAfterPersisting() {
        var a = ClockAligner(policy: ClockPolicy())
        XCTAssertEqual(a.observe(sensorTime: 0, arrival: 0), .accepted(offset: 0))
        // One frame stamped an hour ahead: refused, estimate unchanged.
        XCTAssertEqual(a.observe(sensorTime: 3_600_000_000_000, arrival: 100_000_000), .future)
        XCTAssertEqual(a.observe(sensorTime: 200_000_000, arrival: 200_000_000), .accepted(offset: 0))
        // The sensor clock steps back by 10 s and stays there: adopted after resyncAfterSeconds (2 s).
        var verdicts: [ClockAligner.Verdict] = []
        for k in 3...60 {
            let arrival = Int64(k) * 100_000_000
            verdicts.append(a.observe(sensorTime: arrival - 10_000_000_000, arrival: arrival))
        }
        guard let index = verdicts.firstIndex(of: .resynchronised(offset: 10_000_000_000)) else {
            return XCTFail("\(verdicts)")
        }
        XCTAssertEqual(index, 20) // 2 s after the step at 100 ms per frame
        XCTAssertEqual(verdicts.last, .accepted(offset: 10_000_000_000))
    }

    func testSharedClockTrustsTimestampsButRefusesTheFarFuture() {
        var policy = ClockPolicy()
        policy.mode = .shared
        var a = ClockAligner(policy: policy)
        XCTAssertEqual(a.observe(sensorTime: 5_000_000_000, arrival: 5_100_000_000), .accepted(offset: 0))
        XCTAssertEqual(a.observe(sensorTime: 5_400_000_000, arrival: 5_000_000_000), .accepted(offset: 0))
        XCTAssertEqual(a.observe(sensorTime: 6_000_000_000, arrival: 5_000_000_000), .future)
    }

    func testSequenceTrackerCountsGapsAndResets() {
        var s = SequenceTracker()
        XCTAssertEqual(s.observe(5), .inOrder)
        XCTAssertEqual(s.observe(6), .inOrder)
        XCTAssertEqual(s.observe(10), .gap(missing: 3))
        XCTAssertEqual(s.observe(0), .reset)
        // A jump of 2^64 − 1 is a corrupted counter or a restart, not 1.8e19 lost frames; the tracker
        // still registers the gaps that follow.
        XCTAssertEqual(s.observe(UInt64.max - 1), .reset)
        XCTAssertEqual(s.observe(UInt64.max), .inOrder)
        XCTAssertEqual(s.observe(0), .inOrder) // wraps
        XCTAssertEqual(s.observe(3), .gap(missing: 2))
    }

    func testReorderedFramesAreStragglersNotLossesOrRestarts() {
        var s = SequenceTracker()
        // 0 1 3 2 5 4 6: swapped pairs, nothing lost.
        var lost: UInt64 = 0
        var recovered = 0
        for n: UInt64 in [0, 1, 3, 2, 5, 4, 6] {
            switch s.observe(n) {
            case .gap(let missing): lost += missing
            case .straggler: recovered += 1
            case .reset: XCTFail("reordering is not a restart")
            case .inOrder: break
            }
        }
        XCTAssertEqual(lost, 2)
        XCTAssertEqual(recovered, 2, "lost − recovered = 0: every frame arrived")
        XCTAssertEqual(s.observe(6), .inOrder, "a repeat is not a straggler")
    }
}
