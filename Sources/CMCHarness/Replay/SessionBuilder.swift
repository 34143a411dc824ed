import CMCDaemon
import CMCCore
import CMCData
import CMCStream
import Foundation

/// How recorded clips become continuous streams.
public struct SessionOptions: Sendable, Equatable {
    public enum Idle: String, Sendable, CaseIterable {
        /// Sensors keep streaming between clips, the subject at rest between activities: poses and
        /// accelerations glide linearly from the end of one clip to the start of the next; angular
        /// velocity, zero at rest, falls to zero within `SessionBuilder.settleSeconds` after a clip and
        /// rises to the next clip's first value within the same time before it. Windows never starve.
        case hold
        /// Sensors are silent between clips, as if switched off.
        case silence
        /// As `hold`, plus the sensors' own noise at rest: Gaussian, per channel as large as the
        /// median spread of the clips' quietest 0.2 s (the subject standing still).
        case noise
    }

    public enum Order: String, Sendable, CaseIterable {
        /// Seeded shuffle: consecutive clips are usually different activities, as in real life.
        case shuffled
        /// The dataset's order (sorted by activity, subject, trial).
        case dataset
    }

    /// Idle time before the first clip, between clips and after the last one.
    public var gapSeconds = 1.0
    /// If set, each idle gap is drawn from this range instead (seeded): sessions with irregular pauses.
    public var gapRange: ClosedRange<Double>?
    public var idle = Idle.hold
    public var order = Order.shuffled
    public var seed: UInt64 = 0
    /// Streams per dataset subject: its clips are dealt round-robin over them (more parallel subjects
    /// on the wire, shorter sessions). Wire ids are then `subject × 100 + lane`.
    public var lanes = 1
    /// At most this many clips per stream.
    public var limit: Int?
    /// Send skeletons in this layout instead of the recorded one (its joint count and axes, missing joints
    /// from their neighbours, via Kinect v1): what the daemon's retargeting costs is measured this way.
    /// Nil, or the recorded layout (UTD-MHAD: Kinect v1, 20 joints; SmartFallMM: Azure Kinect, 32), sends
    /// them as recorded; so does a recording whose joint count is no layout cmc knows.
    public var skeletonLayout: SkeletonLayout?

    public init() {}
}

/// Turns dataset samples into `StreamScript`s: clips of one subject concatenated with idle gaps into a
/// continuous stream with sensor timestamps, one stream per subject (or per lane).
///
/// Timing: the IMU runs at the dataset's nominal rate (UTD-MHAD: 50 Hz). Skeleton frame times are
/// derived from the clip's IMU duration, so both modalities span the same time (UTD-MHAD's Kinect
/// delivered ≈ 19 fps effective, not its nominal 30); an implausible result (outside 5–60 fps) falls
/// back to the nominal frame rate. Datasets whose modalities were cut separately
/// (`DatasetInfo.synchronisedModalities` false, SmartFallMM) keep each modality at its own nominal
/// rate instead: both start with the clip, which lasts as long as the longer of the two (the action's
/// offset within each is unknown, so no other alignment would be better founded). Values stay in the
/// dataset's units; the sender labels them with the matching wire unit codes (UTD-MHAD: g and deg/s,
/// metres; SmartFallMM: m/s², rad/s, mm) so the daemon converts them.
public enum SessionBuilder {
    public static func scripts(samples: [Sample], info: DatasetInfo, options: SessionOptions) -> [StreamScript] {
        var scripts: [StreamScript] = []
        for subject in Array(Set(samples.map(\.subject))).sorted() {
            var clips = samples.filter { $0.subject == subject }
            if options.order == .shuffled {
                var rng = SeededRNG(seed: options.seed &+ UInt64(subject))
                clips = rng.permutation(clips.count).map { clips[$0] }
            }
            let lanes = max(1, options.lanes)
            for lane in 0..<lanes {
                var mine = stride(from: lane, to: clips.count, by: lanes).map { clips[$0] }
                if let limit = options.limit { mine = Array(mine.prefix(max(0, limit))) }
                guard !mine.isEmpty else { continue }
                scripts.append(
                    script(
                        subject: wireSubject(subject, lane: lane, lanes: lanes), clips: mine, info: info,
                        options: options))
            }
        }
        return scripts
    }

    /// The subject id a stream uses on the wire.
    public static func wireSubject(_ subject: Int, lane: Int, lanes: Int) -> UInt32 {
        UInt32(clamping: lanes > 1 ? subject * 100 + lane : subject)
    }

    /// Wire unit codes for a dataset's channels (unknown names are sent as "unspecified").
    public static func wireUnits(_ info: DatasetInfo) -> (imu: [SensorUnit], skeleton: SensorUnit) {
        (
            info.inertialChannels.map { ModelUnit($0.unit)?.wire ?? .unspecified },
            info.skeletonUnit.flatMap(ModelUnit.init)?.wire ?? .unspecified
        )
    }

    public static func script(subject: UInt32, clips: [Sample], info: DatasetInfo, options: SessionOptions)
        -> StreamScript
    {
        let units = wireUnits(info)
        let imuPeriod = Int64((1e9 / (info.inertialSampleRate ?? 50)).rounded())
        let nominalFrame = 1 / (info.skeletonFrameRate ?? 30)
        var rng = SeededRNG(seed: options.seed &+ UInt64(subject) &* 7919)
        func gap() -> Int64 {
            Int64(
                max(0, options.gapRange.map { rng.uniform($0.lowerBound, $0.upperBound) } ?? options.gapSeconds) * 1e9)
        }
        let noise =
            options.idle == .noise
            ? restNoise(clips, layout: options.skeletonLayout) : (imu: [Float](), skeleton: [Float]())
        // Gyroscope channels: what a resting subject holds at zero.
        let angular = units.imu.map { $0 == .radiansPerSecond || $0 == .degreesPerSecond }
        let withIMU = clips.contains { $0.inertial != nil }
        let withSkeleton = clips.contains { $0.skeleton != nil }
        let synchronised = info.synchronisedModalities ?? true
        let layout = options.skeletonLayout
        func skeletonSample(_ raw: DataArray, _ k: Int) -> [Float] { Self.skeletonSample(raw, k, as: layout) }
        var imu = withIMU ? ScriptedSamples(channels: info.inertialChannels.count, joints: 0, units: units.imu) : nil
        var skeleton: ScriptedSamples? =
            withSkeleton
            ? ScriptedSamples(
                channels: info.skeletonDimensions ?? 3,
                joints: Self.layoutChange(
                    joints: info.jointCount ?? 0, coordinates: info.skeletonDimensions ?? 3, to: layout)?
                    .target.jointNames.count ?? info.jointCount ?? 0,
                units: Array(repeating: units.skeleton, count: info.skeletonDimensions ?? 3)) : nil
        var placed: [ScriptedClip] = []
        var nextIMU: Int64 = 0
        var nextSkeleton: Int64 = 0 // where each modality's next sample goes
        var lastIMU: [Float]?
        var lastSkeleton: [Float]? // the previous clip's final samples (for idle filler)
        var cursor = gap() // the next clip starts here at the earliest

        for clip in clips {
            let rawI = clip.inertial
            let rawS = clip.skeleton
            let imuCount = rawI?.shape[1] ?? 0
            let frames = rawS?.shape[1] ?? 0
            let imuSeconds = Double(imuCount) * Double(imuPeriod) * 1e-9
            var framePeriod = synchronised && imuCount > 0 && frames > 0 ? imuSeconds / Double(frames) : nominalFrame
            if !(1 / 60...1 / 5).contains(framePeriod) { framePeriod = nominalFrame }
            // Rounded down, so a synchronised clip's frames never end after its IMU samples.
            let framePeriodNs = Int64((framePeriod * 1e9).rounded(.down))
            let skeletonSeconds = Double(Int64(frames) * framePeriodNs) * 1e-9
            let seconds = synchronised && imuCount > 0 ? imuSeconds : max(imuSeconds, skeletonSeconds)
            // The clip starts on the IMU's sample grid, so the IMU stream stays perfectly regular.
            var start = cursor
            if withIMU { start = nextIMU + max(0, (cursor - nextIMU + imuPeriod - 1) / imuPeriod) * imuPeriod }
            let firstIMU = rawI.map { imuSample($0, 0) }
            let firstSkeleton = rawS.map { skeletonSample($0, 0) }
            if options.idle != .silence {
                if imu != nil, let to = firstIMU {
                    fill(
                        &imu!, from: &nextIMU, until: start, period: imuPeriod, a: lastIMU ?? to, b: to,
                        resting: angular, noise: noise.imu, rng: &rng)
                }
                if skeleton != nil, let to = firstSkeleton {
                    fill(
                        &skeleton!, from: &nextSkeleton, until: start, period: framePeriodNs, a: lastSkeleton ?? to,
                        b: to,
                        noise: noise.skeleton, rng: &rng)
                }
            }
            if let raw = rawI {
                for k in 0..<imuCount { imu!.append(time: start + Int64(k) * imuPeriod, sample: imuSample(raw, k)) }
                nextIMU = start + Int64(imuCount) * imuPeriod
                lastIMU = imuSample(raw, imuCount - 1)
            } else {
                nextIMU = max(nextIMU, start)
            }
            if let raw = rawS {
                for k in 0..<frames {
                    skeleton!.append(time: start + Int64(k) * framePeriodNs, sample: skeletonSample(raw, k))
                }
                nextSkeleton = start + Int64(frames) * framePeriodNs
                lastSkeleton = skeletonSample(raw, frames - 1)
            } else {
                nextSkeleton = max(nextSkeleton, start)
            }
            let end = start + Int64((seconds * 1e9).rounded())
            placed.append(
                ScriptedClip(
                    id: clip.id, label: clip.label,
                    className: info.classNames.indices.contains(clip.label)
                        ? info.classNames[clip.label] : "class \(clip.label)",
                    start: Double(start) * 1e-9, end: Double(end) * 1e-9))
            cursor = max(end, nextIMU, nextSkeleton) + gap()
        }
        if options.idle != .silence { // trailing idle: hold the last pose
            if imu != nil, let last = lastIMU {
                fill(
                    &imu!, from: &nextIMU, until: cursor, period: imuPeriod, a: last, b: last, resting: angular,
                    rises: false, noise: noise.imu, rng: &rng)
            }
            if skeleton != nil, let last = lastSkeleton {
                let period =
                    skeleton!.count >= 2
                    ? skeleton!.times[skeleton!.count - 1] - skeleton!.times[skeleton!.count - 2]
                    : Int64(nominalFrame * 1e9)
                fill(
                    &skeleton!, from: &nextSkeleton, until: cursor, period: period, a: last, b: last,
                    noise: noise.skeleton, rng: &rng)
            }
        }
        return StreamScript(
            subject: subject, clips: placed, imu: imu, skeleton: skeleton, duration: Double(cursor) * 1e-9)
    }

    /// How fast a resting subject's angular velocity settles to zero after a clip, and rises to the next
    /// clip's first value before it. Gliding it linearly over the whole gap (before 2026-12-03) kept a
    /// wrist "turning" at up to 2 rad/s through a 1 s rest whenever a clip began mid-swing: the
    /// segmenter saw motion there and merged the two clips into one action (4 of subject 7's 108 clips,
    /// and the 2.5 s latency p99: the merged action's event came when both were over).
    public static let settleSeconds = 0.1

    /// Idle samples every `period` from `time` up to (excluding) `until`, gliding linearly from `a` to `b`,
    /// plus Gaussian noise of `noise[i]` on value i (none if empty). Values flagged in `resting` (angular
    /// velocity) instead settle from `a` to zero and, if `rises`, climb to `b` in the gap's last moments.
    private static func fill(
        _ samples: inout ScriptedSamples, from time: inout Int64, until: Int64, period: Int64, a: [Float], b: [Float],
        resting: [Bool] = [], rises: Bool = true, noise: [Float], rng: inout SeededRNG
    ) {
        let from = time
        let span = Double(max(1, until - from))
        let settle = Double(max(1, min(Int64(settleSeconds * 1e9), (until - from) / 2)))
        while time < until {
            let w = Float(Double(time - from) / span)
            var sample = zip(a, b).map { $0 + ($1 - $0) * w }
            if resting.count == sample.count {
                let fall = Float(max(0, 1 - Double(time - from) / settle))
                let rise = rises ? Float(max(0, 1 - Double(until - time) / settle)) : 0
                for i in sample.indices where resting[i] { sample[i] = a[i] * fall + b[i] * rise }
            }
            if noise.count == sample.count {
                for i in sample.indices where noise[i] > 0 { sample[i] += noise[i] * Float(rng.normal()) }
            }
            samples.append(time: time, sample: sample)
            time += period
        }
    }

    /// A clip whose skeleton went to `layout` and back through the daemon's retargeting: what the model
    /// sees of it when the sender streams that layout.
    public static func roundTrip(_ sample: Sample, through layout: SkeletonLayout?) -> Sample {
        guard let layout, layout != .kinectV1, let raw = sample.skeleton, raw.shape.count == 3, raw.shape[0] == 3,
            raw.shape[2] == 20
        else { return sample }
        let (c, f, j) = (raw.shape[0], raw.shape[1], raw.shape[2])
        var out = sample
        var values = [Float](repeating: 0, count: raw.values.count)
        for k in 0..<f {
            let back = layout.retargetToKinectV1(layout.fromKinectV1Samples(skeletonSample(raw, k)))
            for ji in 0..<j { for ci in 0..<c { values[(ci * f + k) * j + ji] = back[ji * c + ci] } }
        }
        out.skeleton = DataArray(shape: raw.shape, values: values)
        return out
    }

    /// Per wire value (IMU channel; skeleton joint × coordinate): the median over clips of the standard
    /// deviation in the clip's quietest stretch (10 IMU samples, 4 skeleton frames: 0.2 s), where the
    /// subject stands still. Not the clips' first samples: many subjects start moving at once.
    static func restNoise(_ clips: [Sample], layout: SkeletonLayout? = nil) -> (imu: [Float], skeleton: [Float]) {
        func spread(_ rows: ArraySlice<[Float]>) -> [Float] {
            guard let width = rows.first?.count, rows.count > 1 else { return [] }
            return (0..<width).map { i in
                let xs = rows.map { $0[i] }
                let mean = xs.reduce(0, +) / Float(xs.count)
                return (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(xs.count - 1)).squareRoot()
            }
        }
        func quietest(_ rows: [[Float]], length: Int) -> [Float] {
            guard rows.count >= length, length > 1 else { return [] }
            var best: (total: Float, spread: [Float])?
            for start in stride(from: 0, through: rows.count - length, by: max(1, length / 2)) {
                let s = spread(rows[start..<start + length])
                let total = s.reduce(0, +)
                if best == nil || total < best!.total { best = (total, s) }
            }
            return best?.spread ?? []
        }
        func median(_ perClip: [[Float]]) -> [Float] {
            guard let width = perClip.first?.count else { return [] }
            return (0..<width).map { i in perClip.map { $0[i] }.sorted()[perClip.count / 2] }
        }
        let imu = clips.compactMap { c in
            c.inertial.map { raw in quietest((0..<raw.shape[1]).map { imuSample(raw, $0) }, length: 10) }
        }
        let skeleton = clips.compactMap { c in
            c.skeleton.map { raw in quietest((0..<raw.shape[1]).map { skeletonSample(raw, $0, as: layout) }, length: 4)
            }
        }
        return (median(imu.filter { !$0.isEmpty }), median(skeleton.filter { !$0.isEmpty }))
    }

    /// IMU sample k of a `(C, T)` array, in wire order (channels).
    static func imuSample(_ raw: DataArray, _ k: Int) -> [Float] {
        let (c, t) = (raw.shape[0], raw.shape[1])
        return (0..<c).map { raw.values[$0 * t + k] }
    }

    /// Skeleton frame k of a `(C, F, J)` array as `layout` sends it (`SessionOptions.skeletonLayout`).
    static func skeletonSample(_ raw: DataArray, _ k: Int, as layout: SkeletonLayout?) -> [Float] {
        let recorded = skeletonSample(raw, k)
        guard let change = layoutChange(joints: raw.shape[2], coordinates: raw.shape[0], to: layout) else {
            return recorded
        }
        let v1 = change.source == .kinectV1 ? recorded : change.source.retargetToKinectV1(recorded)
        return change.target == .kinectV1 ? v1 : change.target.fromKinectV1Samples(v1)
    }

    /// The layouts a skeleton of `joints` × `coordinates` is converted between to be sent as `layout`: the
    /// source is the layout with that joint count. Nil when it is sent as recorded (no layout asked, the
    /// same layout, or not x, y, z of a layout cmc knows).
    static func layoutChange(joints: Int, coordinates: Int, to layout: SkeletonLayout?)
        -> (source: SkeletonLayout, target: SkeletonLayout)?
    {
        guard let layout, coordinates == 3, let source = SkeletonLayout(jointCount: joints), source != layout else {
            return nil
        }
        return (source, layout)
    }

    /// Skeleton frame k of a `(C, F, J)` array, in wire order (joint-major: x, y, z of joint 0, …).
    static func skeletonSample(_ raw: DataArray, _ k: Int) -> [Float] {
        let (c, f, j) = (raw.shape[0], raw.shape[1], raw.shape[2])
        var out = [Float](repeating: 0, count: c * j)
        for ji in 0..<j { for ci in 0..<c { out[ji * c + ci] = raw.values[(ci * f + k) * j + ji] } }
        return out
    }
}
