/// One action found in a subject's stream: a stretch of motion between two stretches of stillness.
public struct ActionSegment: Sendable, Equatable {
    /// Per-subject counter, from 0.
    public var id: UInt64
    /// Daemon-timeline nanoseconds where the motion starts and ends (without padding).
    public var start: Int64
    public var end: Int64
    /// True when the action was closed because it reached `maxActionSeconds`, not because motion stopped.
    public var truncated: Bool

    public var seconds: Double { Double(end &- start) * 1e-9 }

    public init(id: UInt64, start: Int64, end: Int64, truncated: Bool) {
        self.id = id
        self.start = start
        self.end = end
        self.truncated = truncated
    }
}

/// Where an instant of a subject's stream lies, as far as the segmenter has seen.
public enum SegmentPhase: Sendable, Equatable {
    /// Between actions.
    case idle
    /// Inside an action: the span to classify (motion plus the policy's padding); `end` is nil while it is open.
    case action(id: UInt64, start: Int64, end: Int64?)
}

/// Cuts a subject's stream into actions by how much it moves, in sensor time, with hysteresis.
///
/// Every `tickSeconds` the motion of the last `spanSeconds` is measured: the RMS deviation of the
/// gyroscope from its own mean (a rotating wrist or thigh; a slow linear glide between rest poses, or
/// sensor noise, stays small), or, when no IMU streams, the mean joint speed of the skeleton. A tick is
/// moving above the policy's threshold. `onsetSeconds` of moving ticks open an action;
/// `offsetSeconds` of still ones close it (so pauses inside an action do not split it). The action is
/// then classified whole, the way the model classifies a clip — what makes a stream as recognisable
/// as a segmented clip.
///
/// A plain value owned by the I/O thread, fed sample by sample in time order (reordered samples are
/// skipped: motion is a coarse measure).
public struct MotionSegmenter: Sendable {
    public let policy: SegmenterPolicy
    /// IMU channels that carry angular velocity in rad/s (canonical units), measured when present.
    public let gyroChannels: [Int]
    /// Coordinates per skeleton joint (3 for x, y, z).
    public let skeletonCoordinates: Int

    private var imu: [(time: Int64, values: [Float])] = []
    private var skeleton: [(time: Int64, values: [Float])] = []
    private var lastIMU: Int64 = .min
    /// End of the last tick evaluated (daemon ns); nil before the first sample.
    public private(set) var evaluatedThrough: Int64?
    private var movingRun = 0
    private var open: (id: UInt64, start: Int64, lastMoving: Int64)?
    /// The id the next action gets.
    public private(set) var nextActionID: UInt64
    /// Closed actions still inside the lookback (for `phase(at:)`), oldest first.
    private var recent: [ActionSegment] = []
    private let tick: Int64
    private let span: Int64

    /// - Parameter firstActionID: the first action's id (ids go up by one per action).
    public init(policy: SegmenterPolicy, gyroChannels: [Int], skeletonCoordinates: Int = 3, firstActionID: UInt64 = 0) {
        self.policy = policy
        nextActionID = firstActionID
        self.gyroChannels = gyroChannels
        self.skeletonCoordinates = max(1, skeletonCoordinates)
        tick = max(1, Int64(policy.tickSeconds * 1e9))
        span = max(tick, Int64(policy.spanSeconds * 1e9))
    }

    /// Feeds one IMU sample (canonical units, channel order of the stream); returns actions it closed.
    public mutating func addIMU(time: Int64, values: ArraySlice<Float>) -> [ActionSegment] {
        guard policy.enabled, !gyroChannels.isEmpty, time > lastIMU else { return [] }
        let closed = advance(to: time)
        lastIMU = time
        imu.append((time, gyroChannels.map { values[values.startIndex + $0] }))
        trim(&imu, before: time &- span &- tick)
        return closed
    }

    /// Feeds one skeleton frame (joint-major x, y, z in metres); it drives the ticks only while no IMU
    /// sample arrived for a second.
    public mutating func addSkeleton(time: Int64, values: ArraySlice<Float>) -> [ActionSegment] {
        guard policy.enabled, time > (skeleton.last?.time ?? .min) else { return [] }
        let imuQuiet = gyroChannels.isEmpty || lastIMU == .min || time &- lastIMU > 1_000_000_000
        let closed = imuQuiet ? advance(to: time) : []
        skeleton.append((time, Array(values)))
        trim(&skeleton, before: time &- span &- tick)
        return closed
    }

    /// The phase at `time`, or nil when the segmenter has not evaluated that far (or is disabled).
    public func phase(at time: Int64) -> SegmentPhase? {
        guard policy.enabled, let through = evaluatedThrough, time <= through else { return nil }
        let claim = Int64(policy.phasePaddingSeconds * 1e9)
        if let o = open, time >= o.start &- claim {
            return .action(id: o.id, start: policy.padded(start: o.start, end: o.start).start, end: nil)
        }
        for s in recent.reversed() where time >= s.start &- claim && time <= s.end &+ claim {
            let span = policy.padded(start: s.start, end: s.end)
            return .action(id: s.id, start: span.start, end: span.end)
        }
        return .idle
    }

    /// Closes whatever is open (the subject went away); returns it if long enough to count.
    public mutating func flush() -> [ActionSegment] {
        guard let o = open, let through = evaluatedThrough else { return [] }
        open = nil
        movingRun = 0
        return finish(id: o.id, start: o.start, end: min(o.lastMoving, through), truncated: false)
    }

    // MARK: Ticks

    private mutating func advance(to time: Int64) -> [ActionSegment] {
        guard var through = evaluatedThrough else {
            evaluatedThrough = time - time % tick
            return []
        }
        // A clock step or long silence: do not evaluate thousands of empty ticks.
        if time &- through > 10 * span {
            let closed = flush()
            evaluatedThrough = time - time % tick
            imu.removeAll()
            skeleton.removeAll()
            return closed
        }
        var closed: [ActionSegment] = []
        while time &- through >= tick {
            through &+= tick
            closed += evaluate(tickEnd: through)
        }
        evaluatedThrough = through
        return closed
    }

    private mutating func evaluate(tickEnd: Int64) -> [ActionSegment] {
        let moving =
            motion(through: tickEnd).map { $0.value > ($0.gyro ? policy.gyroThreshold : policy.skeletonThreshold) }
            ?? false
        let tickStart = tickEnd &- tick
        var closed: [ActionSegment] = []
        if var o = open {
            if moving { o.lastMoving = tickEnd }
            if tickEnd &- o.start >= Int64(policy.maxActionSeconds * 1e9) {
                closed += finish(id: o.id, start: o.start, end: tickEnd, truncated: true)
                open = moving ? (nextActionID, tickEnd, tickEnd) : nil
                if moving { nextActionID += 1 }
                movingRun = moving ? 1 : 0
                return closed
            }
            if !moving && tickEnd &- o.lastMoving >= Int64(policy.offsetSeconds * 1e9) {
                closed += finish(id: o.id, start: o.start, end: o.lastMoving, truncated: false)
                open = nil
                movingRun = 0
            } else {
                open = o
            }
            return closed
        }
        movingRun = moving ? movingRun + 1 : 0
        if moving && Double(movingRun) * policy.tickSeconds >= policy.onsetSeconds - 1e-9 {
            let start = tickStart &- Int64(movingRun - 1) &* tick
            open = (nextActionID, start, tickEnd)
            nextActionID += 1
        }
        return closed
    }

    private mutating func finish(id: UInt64, start: Int64, end: Int64, truncated: Bool) -> [ActionSegment] {
        let segment = ActionSegment(id: id, start: start, end: end, truncated: truncated)
        recent.append(segment)
        // Windows look back at most a window length; 16 actions cover far more than that.
        if recent.count > 16 { recent.removeFirst(recent.count - 16) }
        return segment.seconds >= policy.minActionSeconds - 1e-9 ? [segment] : []
    }

    /// The tick's motion: the gyroscope's RMS deviation (rad/s) when it has data in the span, else the
    /// skeleton's mean joint speed (m/s); nil without data.
    private func motion(through end: Int64) -> (value: Double, gyro: Bool)? {
        let from = end &- span
        if !gyroChannels.isEmpty {
            let samples = imu.filter { $0.time > from && $0.time <= end }
            // Averaged over `motionSmoothing` consecutive samples first: human motion is slow next to the
            // sample rate, white sensor noise is not, and averaging k samples divides it by √k.
            let k = max(1, min(policy.motionSmoothing, samples.count - 2))
            let count = samples.count - k + 1
            if samples.count >= 3 {
                var sum = 0.0
                var smoothed = [Double](repeating: 0, count: max(0, count))
                for c in gyroChannels.indices {
                    var running = 0.0
                    for (i, s) in samples.enumerated() {
                        running += Double(s.values[c])
                        if i >= k { running -= Double(samples[i - k].values[c]) }
                        if i >= k - 1 { smoothed[i - k + 1] = running / Double(k) }
                    }
                    let mean = smoothed.reduce(0, +) / Double(count)
                    for v in smoothed { sum += (v - mean) * (v - mean) }
                }
                return ((sum / Double(count)).squareRoot(), true)
            }
        }
        let frames = skeleton.filter { $0.time > from - tick && $0.time <= end }
        guard frames.count >= 2 else { return nil }
        var speed = 0.0
        for k in 1..<frames.count {
            let a = frames[k - 1]
            let b = frames[k]
            let dt = Double(b.time &- a.time) * 1e-9
            guard dt > 0 else { continue }
            let c = skeletonCoordinates
            let joints = min(a.values.count, b.values.count) / c
            var distance = 0.0
            for j in 0..<joints {
                var squared = 0.0
                for k in 0..<c {
                    let d = Double(b.values[c * j + k] - a.values[c * j + k])
                    squared += d * d
                }
                distance += squared.squareRoot()
            }
            speed += distance / Double(max(1, joints)) / dt
        }
        return (speed / Double(frames.count - 1), false)
    }

    private func trim(_ samples: inout [(time: Int64, values: [Float])], before time: Int64) {
        if let first = samples.firstIndex(where: { $0.time >= time }), first > 0 { samples.removeFirst(first) }
    }
}
