import XCTest
import CMCCore
@testable import CMCStream

/// A sensor clock that steps while a subject streams (aligned clock mode), on a virtual daemon clock.
final class ClockStepTests: XCTestCase {
    private let second: Int64 = 1_000_000_000
    /// The daemon's CLOCK_MONOTONIC when the session starts (virtual).
    private let base: Int64 = 5_000 * 1_000_000_000

    private func assembler() -> WindowAssembler {
        var clock = ClockPolicy()
        clock.mode = .aligned
        var segmentation = SegmenterPolicy()
        segmentation.enabled = false // windows only: the label gap is about the timeline
        return WindowAssembler(
            spec: TestClassifier().spec, buffer: BufferPolicy(), clock: clock, hopSeconds: 0.5,
            segmentation: segmentation)
    }

    /// What a run of the session gave: when each window was cut, its label span, and the resyncs reported.
    private struct Run {
        var windows: [(arrival: Int64, end: Int64)] = []
        var resyncs: [Modality: Int] = [:]
        var firstResyncArrival: Int64?
    }

    /// 60 s of IMU (50 Hz, frames of 5) and skeleton (30 Hz, frames of 3) replayed `speed` times faster
    /// than real time; from sensor time 40 s on, the clock of `stepping` reads `step` off. The skeleton's
    /// first frame is complete first (66.7 ms before the IMU's 80 ms), so the skeleton is the lead.
    private func run(speed: Int64, step: Int64, stepping: Modality) throws -> Run {
        var a = assembler()
        var frames: [(arrival: Int64, frame: SensorFrame)] = []
        let stepAt = 40 * second
        for f in Frames.stream(subject: 3, end: 60 * second, seconds: 60, value: 1) {
            let t = f.timing.timestamp(ofSample: f.sampleCount - 1)
            var frame = f
            if f.modality == stepping, case .regular(let start, let period) = f.timing, start >= stepAt {
                frame.timing = .regular(start: start + step, periodNanoseconds: period)
            }
            frames.append((base + t / speed, frame))
        }
        var result = Run()
        // Stable by arrival: each stream's frames stay in order.
        let ordered = frames.enumerated().sorted { ($0.element.arrival, $0.offset) < ($1.element.arrival, $1.offset) }
        for (arrival, frame) in ordered.map(\.element) {
            if case .buffered(_, _, let resynced, _) = try a.ingest(frame, arrival: arrival), resynced {
                result.resyncs[frame.modality, default: 0] += 1
                if result.firstResyncArrival == nil { result.firstResyncArrival = arrival }
            }
            if case .window(let w) = a.cut(subject: 3, now: arrival) {
                guard case .periodic(let span, _) = w.purpose else { continue }
                result.windows.append((arrival, span.upperBound))
                a.finished(subject: 3)
            }
        }
        return result
    }

    /// The lead's clock (and the other's) steps back and forward, at real time and four times faster:
    /// once the step is adopted, labels resume within about a window of data, and window ends never go
    /// backwards.
    func testLabelsResumeWithinAWindowAfterASensorClockSteps() throws {
        for speed: Int64 in [1, 4] {
            for step in [-20 * second, 20 * second] {
                for stepping in [Modality.skeleton, .inertial] {
                    try check(speed: speed, step: step, stepping: stepping)
                }
            }
        }
    }

    private func check(speed: Int64, step: Int64, stepping: Modality) throws {
        let context = "\(stepping) clock, speed \(speed)×, step \(step / second) s"
        let r = try run(speed: speed, step: step, stepping: stepping)
        XCTAssertEqual(r.resyncs, [stepping: 1], "one resync, reported with the frame: \(context)")
        let adopted = try XCTUnwrap(r.firstResyncArrival, context)
        // A window (1 s) plus a hop of data after the adoption, at the sender's pace, plus a frame.
        let allowance = (second + second / 2) / speed + 100_000_000
        let next = r.windows.first { $0.arrival >= adopted }
        XCTAssertNotNil(next, "no window after the step: \(context)")
        if let next {
            XCTAssertLessThanOrEqual(
                next.arrival - adopted, allowance,
                "first window \(Double(next.arrival - adopted) * 1e-9) s after the resync: \(context)")
        }
        // After the adoption a window every hop of data: none lost beyond the outage itself.
        let after = r.windows.filter { $0.arrival >= adopted }
        let expected = Int((base + 60 * second / speed - adopted) * speed / (second / 2))
        XCTAssertGreaterThanOrEqual(after.count, expected - 3, context)
        for (w, next) in zip(r.windows, r.windows.dropFirst()) {
            XCTAssertGreaterThanOrEqual(next.end - w.end, second / 2, "window end went back: \(context)")
        }
    }
}
