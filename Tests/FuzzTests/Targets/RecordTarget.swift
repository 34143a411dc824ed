@testable import CMCStream
import Foundation

/// `RecordReader` on a `.cmcrec` file: the file header, record framing and CRC, the record payload,
/// then the recorded messages decoded as the replayer's consumers would decode them.
enum RecordTarget: FuzzTarget {
    static let name = "record"

    static func run(_ bytes: [UInt8]) -> String? {
        guard let path = ScratchFile.write(bytes, tag: "rec.cmcrec") else { return nil }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let (messages, stop) = try? RecordReader.readAll(path: path) else { return nil }
        // The records read must be exactly the bytes up to where reading stopped.
        let end: Int
        switch stop {
        case .clean: end = bytes.count
        case .damaged(let offset, let discarded, _):
            guard offset >= RecordFormat.fileHeaderSize, offset + discarded == bytes.count else {
                return "stop at \(offset) discarding \(discarded) of a \(bytes.count)-byte file"
            }
            end = offset
        }
        let rewritten = messages.flatMap(RecordFormat.record)
        if Array(bytes[RecordFormat.fileHeaderSize..<end]) != rewritten {
            return "re-encoded records differ from the file"
        }
        for m in messages {
            switch m.channel {
            case .imu, .skeleton:
                if let f = try? FrameCodec.decode(message: m.parts), let problem = FrameTarget.check(f) {
                    return problem
                }
            case .labels: _ = try? LabelEvent.decode(message: m.parts)
            case .other: break
            }
        }
        return nil
    }

    static func seeds() -> [[UInt8]] {
        let frames = FrameTarget.seeds()
        let labels = LabelTarget.seeds()
        let messages = [
            RecordedMessage(
                monotonicNanoseconds: 10, unixNanoseconds: 1_700_000_000_000_000_000, channel: .imu,
                parts: [Array("imu/4/".utf8), frames[0]]),
            RecordedMessage(
                monotonicNanoseconds: 20, unixNanoseconds: 1_700_000_000_000_000_010, channel: .skeleton,
                parts: [Array("skel/4/".utf8), frames[1]]),
            RecordedMessage(
                monotonicNanoseconds: 30, unixNanoseconds: 1_700_000_000_000_000_020, channel: .labels,
                parts: [Array("label/3/".utf8), labels[0]]),
            RecordedMessage(monotonicNanoseconds: 40, unixNanoseconds: 0, channel: .other, parts: []),
        ]
        let file = RecordFormat.fileHeader() + messages.flatMap(RecordFormat.record)
        // Also a torn tail: the reader must keep the records before it.
        return [file, Array(file.dropLast(5)), RecordFormat.fileHeader()]
    }
}
