import CMCData
import XCTest
@testable import CMCHarness

/// Fall detection scored on its own (`stream.focus`), on hand-made timelines whose every number can be
/// worked out by hand.
final class FocusScoresTests: XCTestCase {
    private let falls = SmartFallMM.fallClasses

    private func clip(_ id: String, _ name: String, _ start: Double, _ end: Double) -> ScriptedClip {
        ScriptedClip(
            id: id, label: SmartFallMM.classNames.firstIndex(of: name) ?? -1, className: name, start: start, end: end)
    }

    private func action(_ start: Double, _ end: Double, _ label: String, stream: Int = 0) -> StreamScores.PlacedAction {
        StreamScores.PlacedAction(stream: stream, start: start, end: end, label: label, receivedAt: 0)
    }

    private func score(_ clips: [ScriptedClip], _ actions: [StreamScores.PlacedAction], focus: [String]) -> StreamScores
    {
        let script = StreamScript(subject: 39, clips: clips, imu: nil, skeleton: nil, duration: 14)
        return StreamScores.score(scripts: [script], labels: [], actions: actions, focus: focus) { _, _ in nil }
    }

    func testTheFallClassesAreTheDatasetsFalls() {
        XCTAssertEqual(falls, ["back_fall", "front_fall", "left_fall", "right_fall", "rotate_fall"])
        XCTAssertEqual(SmartFallMM.info().focusClasses, falls)
        XCTAssertNil(UTDMHAD.info.focusClasses, "UTD-MHAD has no class that matters more than the others")
    }

    func testStrictNeedsTheSameFallLenientAnyFall() throws {
        let clips = [
            clip("a", "back_fall", 1, 3), clip("b", "walk_tug", 4, 6), clip("c", "left_fall", 7, 9),
            clip("d", "front_fall", 10, 12),
        ]
        let actions = [
            action(1.1, 3.0, "back_fall"), // clip a, IoU 0.95, same fall: counts in both
            action(7.0, 9.2, "right_fall"), // clip c, IoU 0.91, the wrong fall: lenient only
            action(4.0, 6.0, "front_fall"), // on a walk_tug clip: a false alarm
            action(10.0, 12.0, "sit_stand"), // clip d labelled as no fall: d is missed, no false alarm
            action(1.2, 1.6, "back_fall"), // a fragment of clip a (IoU 0.2): a false alarm
        ]
        let s = score(clips, actions, focus: falls)
        let f = try XCTUnwrap(s.focus)
        XCTAssertEqual(f.classes, falls)
        XCTAssertEqual(f.clips, 3, "back, left and front fall")
        XCTAssertEqual(f.events, 4, "every event labelled as a fall, the sit_stand one not")
        XCTAssertEqual(f.matched, 1)
        XCTAssertEqual(f.precision!, 1.0 / 4, accuracy: 1e-12)
        XCTAssertEqual(f.recall!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(f.f1!, 2 * (1.0 / 4) * (1.0 / 3) / (1.0 / 4 + 1.0 / 3), accuracy: 1e-12)
        XCTAssertEqual(f.lenient.matched, 2)
        XCTAssertEqual(f.lenient.precision!, 2.0 / 4, accuracy: 1e-12)
        XCTAssertEqual(f.lenient.recall!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(f.lenient.f1!, 4.0 / 7, accuracy: 1e-12)
        // The scores over every class are unchanged by naming focus classes.
        let all = score(clips, actions, focus: [])
        XCTAssertNil(all.focus)
        XCTAssertEqual(all.eventsMatched, s.eventsMatched)
        XCTAssertEqual(all.eventsMatched, 1)
        XCTAssertEqual(all.clipsDetected, 4)
    }

    func testEachFallMatchesOnceAndAWrongFallDoesNotBlockTheRightOne() throws {
        // The wrong fall overlaps best; strict matching still finds the right one, lenient takes the best.
        let clips = [clip("c", "left_fall", 7, 9)]
        let actions = [action(7, 9, "right_fall"), action(7.2, 9, "left_fall")]
        let f = try XCTUnwrap(score(clips, actions, focus: falls).focus)
        XCTAssertEqual(f.matched, 1)
        XCTAssertEqual(f.lenient.matched, 1, "one clip is found once, however many events cover it")
        XCTAssertEqual(f.precision!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(f.lenient.precision!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(f.recall!, 1, accuracy: 1e-12)
        // Narrowing the focus to one fall makes the other an ordinary class: no longer a focus event.
        let only = try XCTUnwrap(score(clips, actions, focus: ["left_fall"]).focus)
        XCTAssertEqual(only.events, 1)
        XCTAssertEqual(only.lenient.matched, 1)
        XCTAssertEqual(only.lenient.precision!, 1, accuracy: 1e-12)
    }

    func testEventsMatchOnlyClipsOfTheirOwnStream() throws {
        let a = StreamScript(subject: 1, clips: [clip("a", "back_fall", 1, 3)], imu: nil, skeleton: nil, duration: 5)
        let b = StreamScript(subject: 2, clips: [clip("b", "walk_tug", 1, 3)], imu: nil, skeleton: nil, duration: 5)
        let s = StreamScores.score(
            scripts: [a, b], labels: [], actions: [action(1, 3, "back_fall", stream: 1)],
            focus: falls
        ) { _, _ in nil }
        let f = try XCTUnwrap(s.focus)
        XCTAssertEqual(f.clips, 1)
        XCTAssertEqual(f.lenient.matched, 0, "the fall event is on the walk_tug stream")
        XCTAssertEqual(f.precision, 0)
        XCTAssertEqual(f.f1, 0)
    }

    func testNoFallsSeenLeavesTheRatiosUndefined() throws {
        let f = try XCTUnwrap(score([clip("b", "walk_tug", 4, 6)], [action(4, 6, "walk_tug")], focus: falls).focus)
        XCTAssertEqual(f.clips, 0)
        XCTAssertEqual(f.events, 0)
        XCTAssertNil(f.precision)
        XCTAssertNil(f.recall)
        XCTAssertNil(f.lenient.f1)
    }

    func testFocusKeysAreTheDocumentedOnes() throws {
        let s = score([clip("a", "back_fall", 1, 3)], [action(1, 3, "back_fall")], focus: falls)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any])
        let focus = try XCTUnwrap(json["focus"] as? [String: Any])
        XCTAssertEqual(focus["classes"] as? [String], falls)
        for key in ["precision", "recall", "f1"] { XCTAssertEqual(focus[key] as? Double, 1, key) }
        let lenient = try XCTUnwrap(focus["lenient"] as? [String: Any])
        for key in ["precision", "recall", "f1"] { XCTAssertEqual(lenient[key] as? Double, 1, key) }
    }

    func testFocusClassesComeFromTheCommandLineOrTheDataset() throws {
        let info = SmartFallMM.info()
        XCTAssertEqual(try FocusScores.classes(nil, info: info), falls)
        XCTAssertEqual(try FocusScores.classes("none", info: info), [])
        XCTAssertEqual(
            try FocusScores.classes(" left_fall,back_fall,left_fall ", info: info), ["left_fall", "back_fall"])
        XCTAssertEqual(try FocusScores.classes(nil, info: UTDMHAD.info), [])
        XCTAssertThrowsError(try FocusScores.classes("left_fall,fall", info: info)) { error in
            XCTAssertTrue("\(error)".contains("'fall'"), "\(error)")
            XCTAssertTrue("\(error)".contains("smartfallmm"), "\(error)")
        }
        XCTAssertThrowsError(try FocusScores.classes(",", info: info))
    }
}
