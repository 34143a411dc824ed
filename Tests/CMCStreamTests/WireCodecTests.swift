import XCTest
import CMCCore
@testable import CMCStream

final class WireCodecTests: XCTestCase {
    private let imu = Frames.imu(
        subject: 42, sequence: 7, start: 1_000_000_000, samples: 2,
        units: [.standardGravity, .metresPerSecondSquared, .degreesPerSecond])

    func testIMURoundTripRegularTiming() throws {
        let bytes = FrameCodec.encode(imu)
        XCTAssertEqual(bytes.count, 40 + 3 + 2 * 3 * 4)
        XCTAssertEqual(try FrameCodec.decode(bytes), imu)
    }

    func testSkeletonRoundTripExplicitTiming() throws {
        var frame = Frames.skeleton(subject: 3, sequence: 1, start: -5, samples: 3)
        frame.timing = .explicit([-5, 30_000_000, 70_000_001])
        let decoded = try FrameCodec.decode(message: FrameCodec.message(frame))
        XCTAssertEqual(decoded, frame)
        XCTAssertEqual(decoded.timing.timestamp(ofSample: 2), 70_000_001)
    }

    /// The byte layout documented in docs/protocol.md §3, checked field by field.
    func testHeaderLayoutMatchesTheDocument() {
        let b = FrameCodec.encode(imu)
        XCTAssertEqual(Array(b[0..<4]), Array("CMCF".utf8))
        XCTAssertEqual(b[4], 1) // version
        XCTAssertEqual(b[5], 1) // type IMU
        XCTAssertEqual(b[6], 0) // flags: regular timing
        XCTAssertEqual(Array(b[8..<12]), [42, 0, 0, 0]) // subject LE
        XCTAssertEqual(Array(b[14..<16]), [3, 0]) // channels
        XCTAssertEqual(Array(b[16..<18]), [0, 0]) // joints
        XCTAssertEqual(Array(b[18..<20]), [2, 0]) // samples
        XCTAssertEqual(Array(b[20..<24]), [0x00, 0x2D, 0x31, 0x01]) // 20 000 000 ns LE
        XCTAssertEqual(Array(b[24..<32]), [7, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(b[32..<40]), [0x00, 0xCA, 0x9A, 0x3B, 0, 0, 0, 0]) // 1e9 LE
        XCTAssertEqual(Array(b[40..<43]), [2, 1, 4]) // unit codes
        XCTAssertEqual(Array(b[43..<47]), [0, 0, 0x80, 0x3F]) // 1.0f LE
        XCTAssertEqual(FrameCodec.message(imu)[0], Array("imu/42/".utf8))
    }

    func testEveryTruncationIsRejectedWithoutTrapping() {
        let bytes = FrameCodec.encode(Frames.skeleton(subject: 1, sequence: 0, start: 0))
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try FrameCodec.decode(Array(bytes.prefix(n))), "prefix \(n)") { error in
                guard case .truncated = (error as! WireError).reason else { return XCTFail("prefix \(n): \(error)") }
            }
        }
    }

    func testEachMalformedHeaderFieldIsNamed() {
        let good = FrameCodec.encode(imu)
        func expect(_ field: String, _ mutate: (inout [UInt8]) -> Void, line: UInt = #line) {
            var b = good
            mutate(&b)
            XCTAssertThrowsError(try FrameCodec.decode(b), line: line) {
                XCTAssertEqual(($0 as! WireError).field, field, "\($0)", line: line)
            }
        }
        expect("header.magic") { $0[0] = UInt8(ascii: "X") }
        expect("header.version") { $0[4] = 2 }
        expect("header.type") { $0[5] = 9 }
        expect("header.flags") { $0[6] = 0x80 }
        expect("header.reserved") { $0[7] = 1 }
        expect("header.channels") { $0[14] = 0 }
        expect("header.channels") { $0[14] = 65 }
        expect("header.joints") { $0[16] = 1 } // IMU with joints
        expect("header.samples") { $0[18] = 0 }
        expect("header.period_ns") { $0[20...23] = [0, 0, 0, 0] }
        expect("header.period_ns") { $0[6] = 1 } // explicit flag but period set
        expect("units[1]") { $0[41] = 200 }
        expect("payload") { $0.append(0) } // trailing byte
        expect("data[1][2]") { b in
            b.replaceSubrange(
                b.count - 4..<b.count, with: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian, Array.init))
        }
        expect("data[0][0]") { b in
            b.replaceSubrange(43..<47, with: withUnsafeBytes(of: Float.infinity.bitPattern.littleEndian, Array.init))
        }
        expect("header.t0_ns") { b in
            b.replaceSubrange(32..<40, with: withUnsafeBytes(of: Int64.max.littleEndian, Array.init))
        }
        expect("header.t0_ns") { b in
            b.replaceSubrange(32..<40, with: withUnsafeBytes(of: (Int64.min).littleEndian, Array.init))
        }
        expect("header.t0_ns") { b in
            b.replaceSubrange(32..<40, with: withUnsafeBytes(of: (Int64(1) << 62).littleEndian, Array.init))
        } // last sample beyond

        var skeleton = FrameCodec.encode(Frames.skeleton(subject: 1, sequence: 0, start: 0))
        skeleton[16] = 0
        skeleton[17] = 0
        XCTAssertThrowsError(try FrameCodec.decode(skeleton)) {
            XCTAssertEqual(($0 as! WireError).field, "header.joints")
        }
    }

    func testExplicitTimestampsMustStartAtT0AndIncrease() {
        var frame = Frames.imu(subject: 1, sequence: 0, start: 100, samples: 3)
        frame.timing = .explicit([100, 200, 200])
        XCTAssertThrowsError(try FrameCodec.decode(FrameCodec.encode(frame))) {
            XCTAssertEqual(($0 as! WireError).field, "timestamps[2]")
        }
        var bytes = FrameCodec.encode(
            Frames.imu(subject: 1, sequence: 0, start: 100, samples: 3).with(timing: .explicit([100, 200, 300])))
        bytes[32] = 99 // t0 no longer equals the first timestamp
        XCTAssertThrowsError(try FrameCodec.decode(bytes)) { XCTAssertEqual(($0 as! WireError).field, "timestamps[0]") }
    }

    func testTopicAndPartsAreChecked() {
        let payload = FrameCodec.encode(imu)
        XCTAssertThrowsError(try FrameCodec.decode(message: [Array("imu/43/".utf8), payload])) {
            XCTAssertEqual(($0 as! WireError).field, "topic")
        }
        XCTAssertThrowsError(try FrameCodec.decode(message: [payload])) {
            XCTAssertEqual(($0 as! WireError).field, "message")
        }
        XCTAssertThrowsError(try FrameCodec.decode(message: [Array("skel/42/".utf8), payload, []]))
    }

    func testRandomBytesNeverTrap() {
        var rng = SeededRNG(seed: 11)
        let good = FrameCodec.encode(imu)
        for _ in 0..<3000 {
            var b = good
            for _ in 0..<rng.int(in: 1..<6) { b[rng.int(in: 0..<b.count)] = UInt8.random(in: 0...255, using: &rng) }
            if rng.bernoulli(0.3) { b = Array(b.prefix(rng.int(in: 0..<b.count))) }
            _ = try? FrameCodec.decode(b) // must return or throw, never crash
        }
    }

    func testUnitsCanonicalise() {
        XCTAssertEqual(SensorUnit.standardGravity.canonical.unit, .metresPerSecondSquared)
        XCTAssertEqual(SensorUnit.standardGravity.canonical.scale, 9.80665, accuracy: 1e-6)
        XCTAssertEqual(SensorUnit.degreesPerSecond.canonical.scale, .pi / 180, accuracy: 1e-9)
        XCTAssertEqual(SensorUnit.millimetres.canonical.unit, .metres)
    }

    func testLabelEventJSONRoundTripAndTopic() throws {
        let event = LabelEvent(
            version: 1, subject: 12, sequence: 3, clock: "monotonic", windowStartNanoseconds: 1,
            windowEndNanoseconds: 2,
            label: "walk", labelIndex: 1, confidence: 0.8, topK: [.init(label: "walk", probability: 0.8)],
            modalities: ["imu"], fallback: true, raw: .init(label: "walk", probability: 0.9),
            inferenceMilliseconds: 1.5, endToEndMilliseconds: 2.5, publishedUnixNanoseconds: 99)
        let parts = event.message()
        XCTAssertEqual(parts[0], Array("label/12/".utf8))
        let json = try JSONSerialization.jsonObject(with: Data(parts[1])) as! [String: Any]
        XCTAssertEqual(
            Set(json.keys),
            [
                "v", "subject", "seq", "clock", "window_start_ns", "window_end_ns", "label", "label_index",
                "confidence", "top_k", "modalities", "fallback", "raw", "inference_ms", "end_to_end_ms",
                "published_unix_ns",
            ])
        XCTAssertEqual(try LabelEvent.decode(message: parts), event)
        var future = event
        future.version = 2
        XCTAssertThrowsError(try LabelEvent.decode(message: future.message()))
        XCTAssertThrowsError(try LabelEvent.decode(message: [Array("label/13/".utf8), parts[1]]))
    }
}

/// The golden events of Tests/Golden/events.json, which the Python client's tests decode too
/// (`tools/cmc_protocol.py --check-golden`, run by `PythonInteropTests`).
final class GoldenEventTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden/events.json")

    func testGoldenEventsDecodeAndReencodeToTheSameJSON() throws {
        let data = try Data(contentsOf: Self.file)
        let messages = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertEqual(messages.count, 4)
        var kinds: [String] = []
        for m in messages {
            let topic = try XCTUnwrap(m["topic"] as? String)
            let payload = try XCTUnwrap(m["payload"] as? [String: Any])
            let bytes = Array(try JSONSerialization.data(withJSONObject: payload))
            let reencoded: [UInt8]
            switch try PublishedEvent.decode(message: [Array(topic.utf8), bytes]) {
            case .label(let e):
                kinds.append("label")
                reencoded = e.encoded()
                XCTAssertEqual(e.topic, topic)
            case .action(let e):
                kinds.append("action")
                reencoded = e.encoded()
                XCTAssertEqual(e.topic, topic)
            }
            let back = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(reencoded)) as? NSDictionary)
            XCTAssertEqual(back, payload as NSDictionary, topic)
        }
        XCTAssertEqual(kinds, messages.map { $0["kind"] as? String ?? "" })
    }

    func testActionEventTopicVersionAndIdleLabel() throws {
        let data = try Data(contentsOf: Self.file)
        let messages = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let action = try XCTUnwrap(messages.first { $0["kind"] as? String == "action" })
        let bytes = Array(try JSONSerialization.data(withJSONObject: action["payload"]!))
        let event = try ActionEvent.decode(message: [Array("action/7/".utf8), bytes])
        XCTAssertEqual(event.seconds, 3.1, accuracy: 1e-9)
        XCTAssertThrowsError(
            try ActionEvent.decode(message: [Array("action/8/".utf8), bytes]), "topic must match the subject")
        var future = event
        future.version = 2
        XCTAssertThrowsError(try ActionEvent.decode(message: future.message()))
        // An old consumer of labels keeps decoding: the new fields are optional.
        let idle = try XCTUnwrap(messages.first { ($0["payload"] as? [String: Any])?["label"] as? String == "idle" })
        let label = try LabelEvent.decode(message: [
            Array("label/7/".utf8), Array(try JSONSerialization.data(withJSONObject: idle["payload"]!)),
        ])
        XCTAssertEqual(label.labelIndex, LabelEvent.idleIndex)
        XCTAssertEqual(label.labelTimeNanoseconds, 125_750_000_000)
    }
}

extension SensorFrame {
    func with(timing: FrameTiming) -> SensorFrame {
        var f = self
        f.timing = timing
        return f
    }
}

/// The golden frames of Tests/Golden/frames.json (the first is docs/protocol.md §3.3, byte for byte),
/// which the Python client's tests decode and re-encode too: the daemon, the clients and the document agree.
final class GoldenFrameTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden/frames.json")

    func testGoldenFramesDecodeToTheirFieldsAndReencodeToTheSameBytes() throws {
        let golden = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.file)) as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(golden.count, 2)
        for entry in golden {
            let name = entry["name"] as? String ?? "?"
            let hex = try XCTUnwrap(entry["hex"] as? String)
            let bytes = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
                let a = hex.index(hex.startIndex, offsetBy: i)
                return UInt8(hex[a..<hex.index(a, offsetBy: 2)], radix: 16)!
            }
            let fields = try XCTUnwrap(entry["fields"] as? [String: Any])
            let frame = try FrameCodec.decode(message: [Array((entry["topic"] as! String).utf8), bytes])
            XCTAssertEqual(frame.modality == .inertial ? "imu" : "skeleton", fields["type"] as? String, name)
            XCTAssertEqual(Int(frame.subject), fields["subject"] as? Int, name)
            XCTAssertEqual(Int(frame.sequence), fields["sequence"] as? Int, name)
            XCTAssertEqual(frame.channels, fields["channels"] as? Int, name)
            XCTAssertEqual(frame.joints, fields["joints"] as? Int, name)
            XCTAssertEqual(frame.units.map { Int($0.rawValue) }, fields["units"] as? [Int], name)
            XCTAssertEqual(
                (0..<frame.sampleCount).map { frame.timing.timestamp(ofSample: $0) },
                (fields["timestamps_ns"] as? [Int])?.map(Int64.init), name)
            let values = try XCTUnwrap(fields["values"] as? [[Double]]).flatMap { $0.map(Float.init) }
            XCTAssertEqual(frame.values, values, name)
            XCTAssertEqual(FrameCodec.encode(frame), bytes, "\(name): re-encoded byte for byte")
        }
    }
}
