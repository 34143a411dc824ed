import CMCStream
import Foundation
import CMCTestSupport
import XCTest

/// `cmc-record` killed with SIGKILL while writing: everything it had recorded survives, at most the
/// record being written is torn, and the reader reports that tail instead of misreading it.
final class RecordKillTests: XCTestCase {
    /// A message the test can verify byte for byte: `[topic, u64 sequence + pattern derived from it]`.
    fileprivate func message(_ sequence: UInt64, bytes: Int) -> [[UInt8]] {
        var payload = withUnsafeBytes(of: sequence.littleEndian) { Array($0) }
        payload += (0..<max(0, bytes - 8)).map { UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ $0) }
        return [Array("imu/1/".utf8), payload]
    }

    fileprivate func sequence(of parts: [[UInt8]]) -> UInt64? {
        guard parts.count == 2, parts[1].count >= 8 else { return nil }
        let s = parts[1].prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return parts == message(s, bytes: parts[1].count) ? s : nil
    }

    func testSIGKILLLosesAtMostTheRecordBeingWritten() throws {
        let binary = try Binaries.require("cmc-record")
        let path = try temporaryDirectory(self).appendingPathComponent("killed.cmcrec").path
        let recorder = try ChildProcess(binary, [path, "--imu", "bind:tcp://127.0.0.1:*"])
        XCTAssertTrue(recorder.waitForOutput("info recording ", timeout: 10), recorder.output)
        let line = try XCTUnwrap(recorder.output.split(separator: "\n").first { $0.contains("info recording ") })
        let endpoint = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("endpoints=") }).dropFirst(
            "endpoints=".count)

        let context = try ZMQContext()
        let small = try ZMQSocket(context: context, type: .pub)
        try small.connect(String(endpoint))
        // Slow joiner: probes until the first one is on disk (records are written as they arrive).
        var next: UInt64 = 0
        try eventually(timeout: 10, "recorder joined") {
            try small.send(message(next, bytes: 64))
            next += 1
            Thread.sleep(forTimeInterval: 0.02)
            return (try? RecordReader.readAll(path: path).messages.count) ?? 0 > 0
        }
        for _ in 0..<200 {
            try small.send(message(next, bytes: 64))
            next += 1
        }

        // Then large records, sent continuously, so the kill is likely to land inside a write.
        let big = try ZMQSocket(context: context, type: .pub)
        try big.setHighWaterMarks(send: 8)
        try big.connect(String(endpoint))
        let bigSize = 256 << 10
        let killAt = Date().addingTimeInterval(1.5)
        while Date() < killAt {
            try big.send(message(next, bytes: bigSize), dontWait: true)
            next += 1
            Thread.sleep(forTimeInterval: 0.004)
        }
        // The count cmc-record last reported had been appended — so written — before the kill.
        let reported =
            recorder.output.split(separator: "\n").compactMap { l -> Int? in
                guard l.hasSuffix(" messages"), let n = Int(l.split(separator: " ").dropLast().last ?? "") else {
                    return nil
                }
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
        case .damaged(let offset, let discarded, let reason):
            print(
                "cmc-record was killed inside a record: \(messages.count) records kept, \(discarded) bytes discarded (\(reason))"
            )
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            XCTAssertEqual(offset + discarded, size)
            XCTAssertLessThan(discarded, 8 + 22 + 2 * 4 + 6 + bigSize, "more than the record being written was torn")
        }
    }
}

extension RecordKillTests {
    /// Deterministically killed *inside* a write: `cmc-record` writes into a FIFO that the test drains
    /// record by record, stops reading halfway through a large record (so the recorder blocks in
    /// `write(2)` with part of the record handed to the kernel), SIGKILLs it, then collects what the
    /// kernel had accepted — exactly what a file would hold after the same kill.
    func testAKillInsideAWriteLeavesATornTailThatTheReaderReports() throws {
        let binary = try Binaries.require("cmc-record")
        let dir = try temporaryDirectory(self)
        let fifo = dir.appendingPathComponent("pipe.cmcrec").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK) // opened first, so the recorder's open does not block
        XCTAssertGreaterThanOrEqual(reader, 0)
        defer { close(reader) }
        let recorder = try ChildProcess(binary, [fifo, "--imu", "bind:tcp://127.0.0.1:*"])
        XCTAssertTrue(recorder.waitForOutput("info recording ", timeout: 10), recorder.output)
        let line = try XCTUnwrap(recorder.output.split(separator: "\n").first { $0.contains("info recording ") })
        let endpoint = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("endpoints=") }).dropFirst(
            "endpoints=".count)

        var captured: [UInt8] = []
        var boundaries: [Int] = [] // offsets where complete records end
        let header = RecordFormat.fileHeaderSize
        let bigSize = 512 << 10
        func length(at offset: Int) -> Int? {
            guard captured.count >= offset + 4 else { return nil }
            return captured[offset..<offset + 4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        }
        func bigRecords() -> Int { zip([header] + boundaries, boundaries).filter { $1 - $0 > bigSize }.count }
        /// Reads no further than the end of the record in progress — or half of the third big one.
        func nextLimit() -> Int {
            let start = boundaries.last ?? header
            guard let n = length(at: start) else { return max(start + 4, header) }
            return bigRecords() == 2 && n > bigSize ? start + bigSize / 2 : start + 8 + n
        }
        func pump(upTo limit: Int = .max) {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while captured.count < limit {
                let n = read(reader, &chunk, min(chunk.count, limit - captured.count))
                if n <= 0 { return }
                captured += chunk[0..<n]
            }
        }
        func step() {
            pump(upTo: nextLimit())
            while true {
                let start = boundaries.last ?? header
                guard let n = length(at: start), captured.count >= start + 8 + n else { return }
                boundaries.append(start + 8 + n)
            }
        }
        let context = try ZMQContext()
        let publisher = try ZMQSocket(context: context, type: .pub)
        try publisher.connect(String(endpoint))
        var next: UInt64 = 0
        try eventually(timeout: 10, "recorder joined") {
            try publisher.send(message(next, bytes: 64))
            next += 1
            Thread.sleep(forTimeInterval: 0.02)
            step()
            return !boundaries.isEmpty
        }
        for _ in 0..<3 {
            try publisher.send(message(next, bytes: bigSize))
            next += 1
        }
        // Drain record by record until two big ones are complete and half of the third is read.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            step()
            if bigRecords() == 2, let start = boundaries.last, let n = length(at: start), n > bigSize,
                captured.count >= start + bigSize / 2
            {
                break
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        XCTAssertEqual(bigRecords(), 2, "two big records drained")
        Thread.sleep(forTimeInterval: 0.2) // the recorder fills the pipe and blocks inside write(2)
        recorder.signal(SIGKILL)
        XCTAssertNotEqual(recorder.waitForExit(timeout: 5), 0)
        pump() // whatever the kernel had accepted from the interrupted write

        let file = dir.appendingPathComponent("killed.cmcrec")
        try Data(captured).write(to: file)
        let (messages, stop) = try RecordReader.readAll(path: file.path)
        XCTAssertEqual(messages.count, boundaries.count, "every complete record is kept")
        XCTAssertFalse(messages.map { sequence(of: $0.parts) }.contains(nil), "and intact")
        guard case .damaged(let offset, let discarded, let reason) = stop else {
            return XCTFail("the torn tail was not reported: \(stop)")
        }
        XCTAssertEqual(offset, boundaries.last)
        XCTAssertEqual(discarded, captured.count - boundaries.last!)
        XCTAssertGreaterThan(discarded, bigSize / 2, "half the record, plus what the pipe held")
        XCTAssertLessThan(discarded, bigSize, "only the record being written")
        XCTAssertTrue(reason.contains("cut short"), reason)
    }
}
