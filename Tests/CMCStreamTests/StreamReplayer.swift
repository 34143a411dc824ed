import CMCCore
import Foundation
@testable import CMCStream

/// Republishes a recording, reproducing the original spacing between messages (scaled by `speed`).
enum StreamReplayer {
    /// Sends every record of `channels` from `path` on `socket` (owned by the calling thread).
    /// `speed` 2 plays twice as fast; `.infinity` sends as fast as possible. `shouldStop` is polled
    /// between messages. Returns how many were sent and how the file ended.
    static func replay(
        path: String, to socket: ZMQSocket, channels: Set<RecordedMessage.Channel>,
        speed: Double = 1, shouldStop: () -> Bool = { false }
    ) throws -> (sent: Int, stop: RecordReader.Stop) {
        let reader = try RecordReader(path: path)
        var sent = 0
        var origin: (recorded: Int64, replay: Int64)?
        while let message = try reader.next(), !shouldStop() {
            guard channels.contains(message.channel) else { continue }
            if speed.isFinite && speed > 0 {
                let base = origin ?? (message.monotonicNanoseconds, MonotonicClock.now())
                origin = base
                let due = base.replay + Int64(Double(message.monotonicNanoseconds - base.recorded) / speed)
                let wait = due - MonotonicClock.now()
                if wait > 0 {
                    var ts = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
                    var rest = timespec()
                    while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
                }
            }
            try socket.send(message.parts)
            sent += 1
        }
        return (sent, reader.stop ?? .clean)
    }
}
