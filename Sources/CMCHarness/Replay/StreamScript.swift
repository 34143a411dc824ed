import CMCDaemon
import CMCStream

/// One recorded clip placed on a replayed stream's timeline: the ground truth of that stretch.
public struct ScriptedClip: Sendable, Codable, Equatable {
    /// The dataset's sample id, e.g. `a12_s7_t3`.
    public var id: String
    public var label: Int
    public var className: String
    /// Seconds on the stream's timeline, `[start, end)`.
    public var start: Double
    public var end: Double

    public var duration: Double { end - start }
}

/// The samples of one modality of a replayed stream, as a sensor would send them: sample-major in the
/// wire layout (`values[k * stride + …]`, skeleton joint-major), in the sensor's own units.
public struct ScriptedSamples: Sendable {
    public var channels: Int
    /// Skeleton joints; 0 for IMU.
    public var joints: Int
    public var units: [SensorUnit]
    /// Nanoseconds on the stream's timeline, strictly increasing.
    public var times: [Int64] = []
    public var values: [Float] = []

    public init(channels: Int, joints: Int, units: [SensorUnit]) {
        self.channels = channels
        self.joints = joints
        self.units = units
    }

    public var modality: Modality { joints == 0 ? .inertial : .skeleton }
    public var stride: Int { joints == 0 ? channels : channels * joints }
    public var count: Int { times.count }

    mutating func append(time: Int64, sample: [Float]) {
        precondition(sample.count == stride && (times.last.map { time > $0 } ?? true), "append: bad sample at \(time)")
        times.append(time)
        values.append(contentsOf: sample)
    }

    /// Sample k's values.
    func sample(_ k: Int) -> ArraySlice<Float> { values[k * stride..<(k + 1) * stride] }
}

/// Everything one replayed stream (one subject id on the wire) will send, and the ground truth.
public struct StreamScript: Sendable {
    /// Subject id on the wire.
    public var subject: UInt32
    /// Ascending and disjoint.
    public var clips: [ScriptedClip]
    public var imu: ScriptedSamples?
    public var skeleton: ScriptedSamples?
    /// Length of the timeline in seconds (the last clip plus the trailing idle gap).
    public var duration: Double

    public init(
        subject: UInt32, clips: [ScriptedClip], imu: ScriptedSamples?, skeleton: ScriptedSamples?, duration: Double
    ) {
        self.subject = subject
        self.clips = clips
        self.imu = imu
        self.skeleton = skeleton
        self.duration = duration
    }

    /// Index of the clip whose `[start, end)` holds `t` (seconds), if any.
    public func clipIndex(at t: Double) -> Int? {
        var lo = 0
        var hi = clips.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if clips[mid].end <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo < clips.count && clips[lo].start <= t ? lo : nil
    }
}
