import CMCDaemon
import CMCStream

/// A frame waiting for its send time: a chunk of consecutive, evenly spaced samples of one stream.
/// Times are on the stream's timeline; the sender adds the session's clock origin when it sends.
struct ScheduledFrame: Sendable {
    /// Index of the stream (script) it belongs to.
    var stream: Int32
    var frame: SensorFrame
    /// Timeline ns of the chunk's last sample: a sensor sends a chunk once its last sample is taken.
    var due: Int64
}

/// Cuts scripts into frames. A chunk holds up to `chunk` samples and ends early where the sample
/// spacing changes, so every frame can say "start + period" (protocol §3.2) instead of listing times.
enum FrameSchedule {
    static func frames(_ scripts: [StreamScript], imuChunk: Int, skeletonChunk: Int) -> [ScheduledFrame] {
        var all: [ScheduledFrame] = []
        for (i, script) in scripts.enumerated() {
            if let imu = script.imu { all += frames(imu, stream: Int32(i), subject: script.subject, chunk: imuChunk) }
            if let skeleton = script.skeleton {
                all += frames(skeleton, stream: Int32(i), subject: script.subject, chunk: skeletonChunk)
            }
        }
        // Stable: equal due times keep their order, so each stream's frames stay in sequence.
        return all.enumerated().sorted { ($0.element.due, $0.offset) < ($1.element.due, $1.offset) }.map(\.element)
    }

    static func frames(_ samples: ScriptedSamples, stream: Int32, subject: UInt32, chunk: Int) -> [ScheduledFrame] {
        var out: [ScheduledFrame] = []
        var k = 0
        var sequence: UInt64 = 0
        let n = samples.count
        while k < n {
            var end = k + 1
            let period = k + 1 < n ? samples.times[k + 1] - samples.times[k] : 0
            while end < n && end - k < max(1, chunk) && samples.times[end] - samples.times[end - 1] == period {
                end += 1
            }
            // A lone sample still needs a positive period on the wire: take its neighbour's spacing.
            let spacing =
                period > 0 && end > k + 1 ? period : max(1, k > 0 ? samples.times[k] - samples.times[k - 1] : period)
            let frame = SensorFrame(
                modality: samples.modality, subject: subject, sequence: sequence, channels: samples.channels,
                joints: samples.joints, units: samples.units,
                timing: .regular(start: samples.times[k], periodNanoseconds: UInt32(clamping: spacing)),
                values: Array(samples.values[k * samples.stride..<end * samples.stride]))
            out.append(ScheduledFrame(stream: stream, frame: frame, due: samples.times[end - 1]))
            sequence += 1
            k = end
        }
        return out
    }
}
