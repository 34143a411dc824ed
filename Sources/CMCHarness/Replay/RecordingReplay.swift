import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// Replays `.cmcrec` recordings made by `cmc-record`: their IMU and skeleton frames are republished
/// with the recorded spacing (scaled by the speed); several files play in parallel, each from its own
/// first record. Recorded label events are not republished (the daemon makes new ones).
public enum RecordingReplay {
    public struct Result: Sendable {
        public var sent: [Modality: Int] = [:]
        /// Records skipped: labels, other channels, undecodable frames (with `retime`).
        public var skipped = 0
        /// Per file, how it ended when it did not end cleanly.
        public var damaged: [String] = []
        public var seconds = 0.0
    }

    /// - Parameter retime: rewrite sensor timestamps so the replayed frames look taken now (needed by a
    ///   daemon in `shared` clock mode; an `aligned` daemon copes with the recorded ones).
    public static func run(
        paths: [String], targets: ReplayTargets, speed: Double, retime: Bool, warmupSeconds: Double = 0.5,
        context: ZMQContext, shouldStop: () -> Bool = { false }
    ) throws -> Result {
        let readers = try paths.map { try RecordReader(path: $0) }
        let imu = try ReplaySender.publisher(targets.imu, context: context, hwm: 200_000, curve: targets.curve)
        let skeleton = try ReplaySender.publisher(
            targets.skeleton, context: context, hwm: 200_000, curve: targets.curve)
        defer {
            imu?.close()
            skeleton?.close()
        }
        ReplaySender.sleep(seconds: warmupSeconds)

        let paced = speed.isFinite && speed > 0
        var heads: [RecordedMessage?] = try readers.map { try next($0) }
        let firsts = heads.map { $0?.monotonicNanoseconds ?? 0 }
        let start = MonotonicClock.now()
        var shifts: [String: Int64] = [:] // per file and stream: sensor → replay clock
        var result = Result()
        while !shouldStop() {
            // k-way merge on each file's time since its first record.
            guard
                let i = heads.indices.filter({ heads[$0] != nil })
                    .min(by: {
                        heads[$0]!.monotonicNanoseconds - firsts[$0] < heads[$1]!.monotonicNanoseconds - firsts[$1]
                    })
            else { break }
            let message = heads[i]!
            heads[i] = try next(readers[i])
            let elapsed = message.monotonicNanoseconds - firsts[i]
            if paced { ReplaySender.sleep(nanoseconds: start + Int64(Double(elapsed) / speed) - MonotonicClock.now()) }
            let socket: ZMQSocket?
            switch message.channel {
            case .imu: socket = imu
            case .skeleton: socket = skeleton
            default: socket = nil
            }
            guard let socket else {
                result.skipped += 1
                continue
            }
            var parts = message.parts
            if retime {
                guard var frame = try? FrameCodec.decode(message: parts) else {
                    result.skipped += 1
                    continue
                }
                let key = "\(i)/\(frame.modality)/\(frame.subject)"
                let last = frame.timing.timestamp(ofSample: frame.sampleCount - 1)
                let shift = shifts[key] ?? (MonotonicClock.now() - last)
                shifts[key] = shift
                switch frame.timing {
                case .regular(let t0, let period):
                    frame.timing = .regular(start: t0 &+ shift, periodNanoseconds: period)
                case .explicit(let times): frame.timing = .explicit(times.map { $0 &+ shift })
                }
                parts = FrameCodec.message(frame)
            }
            try socket.send(parts)
            result.sent[message.channel == .imu ? .inertial : .skeleton, default: 0] += 1
        }
        for (path, reader) in zip(paths, readers) {
            if case .damaged(let offset, let bytes, let reason)? = reader.stop {
                result.damaged.append("\(path): stopped at byte \(offset) (\(bytes) bytes discarded): \(reason)")
            }
        }
        result.seconds = Double(MonotonicClock.now() - start) * 1e-9
        return result
    }

    private static func next(_ reader: RecordReader) throws -> RecordedMessage? { try reader.next() }
}
