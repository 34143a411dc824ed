import XCTest
import CMCStream
@testable import CMCDaemon
@testable import CMCHarness

/// The stream scores on a hand-made timeline whose every number can be worked out by hand.
final class StreamScoresTests: XCTestCase {
    private let clips = [
        ScriptedClip(id: "a", label: 0, className: "swipe_left", start: 1, end: 3),
        ScriptedClip(id: "b", label: 2, className: "wave", start: 4, end: 7),
        ScriptedClip(id: "c", label: 3, className: "clap", start: 8, end: 10),
    ]
    private var script: StreamScript { StreamScript(subject: 5, clips: clips, imu: nil, skeleton: nil, duration: 12) }

    func testTemporalIoU() {
        XCTAssertEqual(StreamScores.iou((0, 2), (1, 3)), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(StreamScores.iou((0, 1), (2, 3)), 0)
        XCTAssertEqual(StreamScores.iou((1, 3), (1, 3)), 1)
    }

    func testEventsMatchClipsByIoUAndLabelOnceEach() {
        func action(_ start: Double, _ end: Double, _ label: String, receivedAt: Int64 = 0) -> StreamScores.PlacedAction
        {
            StreamScores.PlacedAction(stream: 0, start: start, end: end, label: label, receivedAt: receivedAt)
        }
        let actions = [
            action(0.9, 3.1, "swipe_left", receivedAt: 3_400_000_000), // clip a, IoU 0.91, right
            action(1.2, 2.0, "swipe_left"), // clip a again: IoU 0.36 < 0.5, a false event
            action(4.5, 6.8, "clap", receivedAt: 7_300_000_000), // clip b found (IoU 0.77), wrong label
            action(10.6, 11.4, "clap"), // in the idle gap after clip c
        ]
        let s = StreamScores.score(scripts: [script], labels: [], actions: actions) { _, t in Int64(t * 1e9) }
        XCTAssertEqual(s.events, 4)
        XCTAssertEqual(s.clips, 3)
        XCTAssertEqual(s.eventsMatched, 1)
        XCTAssertEqual(s.clipsDetected, 2)
        XCTAssertEqual(s.eventPrecision!, 0.25, accuracy: 1e-12)
        XCTAssertEqual(s.eventRecall!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.eventF1!, 2 * 0.25 * (1.0 / 3) / (0.25 + 1.0 / 3), accuracy: 1e-12)
        // Idle: 12 s − 7 s of clips = 5 s; one event centred in it.
        XCTAssertEqual(s.idleMinutes, 5.0 / 60, accuracy: 1e-12)
        XCTAssertEqual(s.idleFalseEventsPerMin!, 12, accuracy: 1e-9)
        // Latency of the detected clips: 3.4 − 3 and 7.3 − 7 s.
        XCTAssertEqual(s.eventLatencyMs.count, 2)
        XCTAssertEqual(s.eventLatencyMs.max, 400, accuracy: 1e-6)
        XCTAssertEqual(s.eventLatencyMs.p50, 300, accuracy: 1e-6)
    }

    func testWindowsAreScoredAtTheirCentreWithIdleAsAClass() {
        func label(_ centre: Double, _ label: String) -> StreamScores.PlacedLabel {
            StreamScores.PlacedLabel(stream: 0, centre: centre, label: label)
        }
        let labels = [
            label(2, "swipe_left"), label(3.5, "idle"), label(3.6, "wave"), label(5, "unknown"), label(9, "clap"),
        ]
        let s = StreamScores.score(scripts: [script], labels: labels, actions: []) { _, _ in nil }
        XCTAssertEqual(s.windowsScored, 5)
        XCTAssertEqual(s.idleWindows, 2)
        XCTAssertEqual(s.windowAccuracy!, 3.0 / 5, accuracy: 1e-12)
        XCTAssertNil(s.eventPrecision, "no events: precision undefined")
        XCTAssertEqual(s.eventRecall, 0)
    }

    func testStreamKeysAreTheDocumentedOnes() throws {
        var s = StreamScores.score(
            scripts: [script], labels: [.init(stream: 0, centre: 2, label: "wave")],
            actions: [.init(stream: 0, start: 1, end: 3, label: "wave", receivedAt: 4_000_000_000)]
        ) { _, t in
            Int64(t * 1e9)
        }
        s.clipAccuracy = 0.9
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any])
        for key in [
            "window_accuracy", "event_precision", "event_recall", "event_f1", "idle_false_events_per_min",
            "clip_accuracy",
        ] {
            XCTAssertNotNil(json[key] as? Double, key)
        }
        let latency = try XCTUnwrap(json["event_latency_ms"] as? [String: Any])
        XCTAssertEqual(latency["p50"] as? Double ?? 0, 1000, accuracy: 1e-6)
        XCTAssertNotNil(latency["p99"])
    }
}
