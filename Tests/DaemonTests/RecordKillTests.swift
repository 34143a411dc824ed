import CMCStream
import Foundation
import XCTest

/// `cmc-record` killed with SIGKILL while writing: everything it had recorded survives, at most the
/// record being written is torn, and the reader reports that tail instead of misreading it.
final class RecordKillTests: XCTestCase {
    /// A message the test can verify byte for byte: `[topic, u64 sequence + pattern derived from it]`.
    private func message(_ sequence: UInt64, bytes: Int) -> [[UInt8]] {
        var payload = withUnsafeBytes(of: sequence.littleEndian) { Array($0) }
        payload += (0..<max(0, bytes - 8)).map { UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ $0) }
        return [Array("imu/1/".utf8), payload]
    }

    private func sequence(of parts: [[UInt8]]) -> UInt64? {
        guard parts.count == 2, parts[1].count >= 8 else { return nil }
        let s = parts[1].prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return parts == message(s, bytes: parts[1].count) ? s : nil
    }

    func testSIGKILLLosesAtMostTheRecordBeingWritten() throws {
        let binary = try Binaries.require("cmc-record")
        let path = try temporaryDirectory(self).appendingPathComponent("killed.cmcrec").path
        let recorder = try ChildProcess(binary, [path, "--imu", "bind:tcp://127.0.0.1:*"])
        XCTAssertTrue(recorder.waitForOutput("recording file=", timeout: 10), recorder.output)
        let line = try XCTUnwrap(recorder.output.split(separator: "\n").first { $0.contains("recording file=") })
        let endpoint = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("endpoints=") }).dropFirst("endpoints=".count)

        let context = try ZMQContext()
        let small = try ZMQSocket(context: context, type: .pub)
        try small.connect(String(endpoint))
        // Slow joiner: probes until the first one is on disk (records are written as they arrive).
        var next: UInt64 = 0
        try eventuallyThrowing(timeout: 10, "recorder joined") {
            try small.send(message(next, bytes: 64)); next += 1
            Thread.sleep(forTimeInterval: 0.02)
            return (try? RecordReader.readAll(path: path).messages.count) ?? 0 > 0
        }
        for _ in 0..<200 { try small.send(message(next, bytes: 64)); next += 1 }

        // Then large records, sent continuously, so the kill is likely to land inside a write.
        let big = try ZMQSocket(context: context, type: .pub)
        try big.setHighWaterMarks(send: 8)
        try big.connect(String(endpoint))
        let bigSize = 256 << 10
        let killAt = Date().addingTimeInterval(1.5)
        while Date() < killAt {
            try big.send(message(next, bytes: bigSize), dontWait: true); next += 1
            Thread.sleep(forTimeInterval: 0.004)
        }
        // The count cmc-record last reported had been appended — so written — before the kill.
        let reported = recorder.output.split(separator: "\n").compactMap { l -> Int? in
            guard l.hasSuffix(" messages"), let n = Int(l.split(separator: " ").dropLast().last ?? "") else { return nil }
            return n
        }.max() ?? 0
        recorder.signal(SIGKILL)
        XCTAssertNotEqual(recorder.waitForExit(timeout: 5), 0, "killed, not exited cleanly")

        let (messages, stop) = try RecordReader.readAll(path: path)
        XCTAssertGreaterThanOrEqual(messages.count, reported, "records reported written before the kill were lost")
        XCTAssertGreaterThan(reported, 200, "the recorder reported progress (\(recorder.output.suffix(300)))")
        let sequences = messages.map { sequence(of: $0.parts) }
        XCTAssertFalse(sequences.contains(nil), "every record before the tail is intact")
        let numbers = sequences.compactMap { $0 }
        XCTAssertEqual(numbers, numbers.sorted(), "in order")
        XCTAssertEqual(Set(numbers).count, numbers.count, "no duplicates")
        // The small messages (no high-water-mark drops at that size) are all there, contiguous.
        let firstSmall = try XCTUnwrap(numbers.first)
        XCTAssertEqual(Array(numbers.prefix { $0 < firstSmall + 200 }), Array(firstSmall..<firstSmall + 200))
        switch stop {
        case .clean:
            print("cmc-record was killed between two records: clean end after \(messages.count) records")
        case let .damaged(offset, discarded, reason):
            print("cmc-record was killed inside a record: \(messages.count) records kept, \(discarded) bytes discarded (\(reason))")
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            XCTAssertEqual(offset + discarded, size)
            XCTAssertLessThan(discarded, 8 + 22 + 2 * 4 + 6 + bigSize, "more than the record being written was torn")
        }
    }
}

/// `eventually` for conditions that may throw.
private func eventuallyThrowing(timeout: Double, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline { if try condition() { return } }
    XCTFail("timed out waiting for \(what)")
}
