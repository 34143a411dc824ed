/// How a subject's stream is cut into actions (see `MotionSegmenter`).
///
/// The defaults (2026-12-03) were chosen by offline simulation (`cmc-replay --offline --daemon-config`)
/// of all four UTD-MHAD subjects at hand (1, 3, 5, 7; 4 lanes, clips shuffled between 1 s rests), with
/// both rest models: `hold` (quiet sensors) and `noise` (the clips' own quietest spread added, 0.04–0.10
/// rad/s on the gyroscope). Mean event F1 over the four subjects, hold / noise, and the worst latency p99:
///
/// | threshold, smoothing, hangover | F1 hold | F1 noise | p99 hold / noise |
/// |---|---|---|---|
/// | 0.122 rad/s, none, 0.35 s (before) | 0.949 | 0.919 | 609 / 3003 ms |
/// | 0.122, none, 0.25 | 0.926 | 0.914 | 505 / 2505 |
/// | 0.06, none, 0.2 | 0.966 | 0.654 | 504 / 3305 |
/// | 0.05, 5 samples, 0.25 | 0.949 | 0.945 | 513 / 705 |
/// | **0.06, 4 samples, 0.25** | **0.953** | **0.950** | 507 / 805 |
/// | 0.05, 5 samples, 0.2 | 0.940 | 0.940 | 509 / 605 |
///
/// A lower threshold catches the slow lead-ins and tails of actions (IoU) and splits fewer actions at
/// their pauses, but alone it fires on a noisy sensor at rest; averaging a few samples first removes
/// most white noise and little motion. A threshold adapted to each stream's noise floor (tried: 2–6 ×
/// a low percentile of each second's quietest tick) did worse on noisy rests than smoothing.
///
/// Latency (2026-12-03, same simulation, hold / noise): the p99 is a clip that ends in motion: the replay's
/// rest steps the gyroscope to zero, which the 0.2 s span sees until it has passed, then the hangover and a
/// tick (≈ 0.5 s). Measuring stillness inside an action over a shorter span published sooner but split
/// actions at their pauses: 0.1 s gave p99 412 ms and F1 0.874 / 0.874; 0.15 s F1 0.930 / 0.927, p99 510;
/// a 0.2 s hangover p99 508 / 606, F1 0.949 / 0.949; a 0.15 s span for both 0.923 / 0.918. Kept as is.
/// Also tried (2026-12-03, later): counting the offset from the last still-looking sample instead of the last moving
/// tick (the span's lag removed, action ends exact), with offsets 0.3–0.45 s, and 0.02 s ticks: neither moved
/// the frontier. The replay's IMU frames carry 0.1 s each, so latency comes in 0.1 s steps; the step below
/// 0.5 s (p99 405–413 ms) cost 1.3 points of event F1 (0.955 against 0.969), the same trade as a shorter
/// hangover, and at equal F1 the p99 stayed at 502–512 ms.
public struct SegmenterPolicy: Sendable, Equatable, Codable {
    /// Off: no action events, and windows are labelled from their own data alone.
    public var enabled = true
    /// The motion measure is evaluated every tick of sensor time. 0.05 s: the hangover ends at most a
    /// tick after the motion's, so the tick is latency (0.1 s ticks rounded a 0.35 s hangover up to 0.4).
    public var tickSeconds = 0.05
    /// Span of samples the motion measure of one tick looks at (its end is the tick's end).
    public var spanSeconds = 0.2
    /// Motion threshold for IMU streams: RMS deviation of the (smoothed) gyroscope from its mean over the
    /// span, in rad/s (0.06 rad/s = 3.4 °/s). A linear drift (a sensor gliding between two rest poses)
    /// stays below.
    public var gyroThreshold = 0.06
    /// Consecutive gyroscope samples averaged before the motion measure (1: none; 4 at 50 Hz: 80 ms).
    public var motionSmoothing = 4
    /// Motion threshold when only a skeleton is streaming: mean joint speed in m/s.
    public var skeletonThreshold = 0.15
    /// Motion must last this long to open an action (rejects single bumps).
    public var onsetSeconds = 0.2
    /// Stillness must last this long to close it (bridges the pauses inside an action); the event is
    /// published this long after the motion stopped (see the table above; 0.05 s ticks).
    public var offsetSeconds = 0.25
    /// Shorter actions are dropped as noise.
    public var minActionSeconds = 0.5
    /// Longer ones are closed and classified, and a new action opens if the motion goes on. Bounded by
    /// the ring buffers (`BufferPolicy.capacityPerStream` samples per stream).
    public var maxActionSeconds = 7.0
    /// Context added before and after an action's motion: the span classified and reported by its action
    /// event (annotated actions include their preparation and recovery). With 0.3 s on both sides the
    /// events began a median 0.26 s before their clips and ended 0.10 s after them; less before did not
    /// pay: 0.0 / 0.1 / 0.2 / 0.3 s gave event F1 0.873 / 0.887 / 0.905 / 0.899–0.905 on replays of the
    /// four UTD-MHAD subjects at hand (the tighter spans matched fewer clips at IoU ≥ 0.5).
    public var paddingBeforeSeconds = 0.3
    public var paddingAfterSeconds = 0.3
    /// How far beyond its motion an action claims the centres of periodic windows; windows centred
    /// further out are idle. Less than the padding: wider claims turned idle windows into actions
    /// faster than they recovered the rest at clip edges. Claiming only up to where the stillness began
    /// (the action's end without the motion measure's lag) lowered window accuracy too (2026-12-03: 0.909 →
    /// 0.905 with quiet rests, 0.904 → 0.900 with noisy ones; four subjects, default model).
    public var phasePaddingSeconds = 0.1

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, tickSeconds = "tick_seconds", spanSeconds = "span_seconds", gyroThreshold = "gyro_threshold"
        case skeletonThreshold = "skeleton_threshold", onsetSeconds = "onset_seconds", offsetSeconds = "offset_seconds"
        case minActionSeconds = "min_action_seconds", maxActionSeconds = "max_action_seconds", paddingBeforeSeconds =
            "padding_before_seconds", paddingAfterSeconds = "padding_after_seconds"
        case phasePaddingSeconds = "phase_padding_seconds"
        case motionSmoothing = "motion_smoothing"
    }

    /// Every key optional (a config names only what it changes); unknown keys are refused by the caller.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SegmenterPolicy()
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
        tickSeconds = try c.decodeIfPresent(Double.self, forKey: .tickSeconds) ?? d.tickSeconds
        spanSeconds = try c.decodeIfPresent(Double.self, forKey: .spanSeconds) ?? d.spanSeconds
        gyroThreshold = try c.decodeIfPresent(Double.self, forKey: .gyroThreshold) ?? d.gyroThreshold
        motionSmoothing = try c.decodeIfPresent(Int.self, forKey: .motionSmoothing) ?? d.motionSmoothing
        skeletonThreshold = try c.decodeIfPresent(Double.self, forKey: .skeletonThreshold) ?? d.skeletonThreshold
        onsetSeconds = try c.decodeIfPresent(Double.self, forKey: .onsetSeconds) ?? d.onsetSeconds
        offsetSeconds = try c.decodeIfPresent(Double.self, forKey: .offsetSeconds) ?? d.offsetSeconds
        minActionSeconds = try c.decodeIfPresent(Double.self, forKey: .minActionSeconds) ?? d.minActionSeconds
        maxActionSeconds = try c.decodeIfPresent(Double.self, forKey: .maxActionSeconds) ?? d.maxActionSeconds
        paddingBeforeSeconds =
            try c.decodeIfPresent(Double.self, forKey: .paddingBeforeSeconds) ?? d.paddingBeforeSeconds
        paddingAfterSeconds = try c.decodeIfPresent(Double.self, forKey: .paddingAfterSeconds) ?? d.paddingAfterSeconds
        phasePaddingSeconds = try c.decodeIfPresent(Double.self, forKey: .phasePaddingSeconds) ?? d.phasePaddingSeconds
    }

    /// Problems with these settings, for configuration errors.
    public func problems() -> [String] {
        var p: [String] = []
        if !(tickSeconds >= 0.01 && tickSeconds <= 1) { p.append("segmentation.tick_seconds must lie in [0.01, 1]") }
        if !(spanSeconds >= tickSeconds && spanSeconds <= 2) {
            p.append("segmentation.span_seconds must lie in [tick_seconds, 2]")
        }
        if !(gyroThreshold > 0 && gyroThreshold.isFinite) { p.append("segmentation.gyro_threshold must be positive") }
        if !(1...25).contains(motionSmoothing) { p.append("segmentation.motion_smoothing must lie in [1, 25]") }
        if !(skeletonThreshold > 0 && skeletonThreshold.isFinite) {
            p.append("segmentation.skeleton_threshold must be positive")
        }
        if !(onsetSeconds >= 0 && onsetSeconds <= 5) { p.append("segmentation.onset_seconds must lie in [0, 5]") }
        if !(offsetSeconds >= tickSeconds && offsetSeconds <= 5) {
            p.append("segmentation.offset_seconds must lie in [tick_seconds, 5]")
        }
        if !(minActionSeconds >= 0 && minActionSeconds < maxActionSeconds) {
            p.append("segmentation.min_action_seconds must lie in [0, max_action_seconds)")
        }
        if !(maxActionSeconds > 0 && maxActionSeconds <= 60) {
            p.append("segmentation.max_action_seconds must lie in (0, 60]")
        }
        for (name, value) in [
            ("padding_before_seconds", paddingBeforeSeconds), ("padding_after_seconds", paddingAfterSeconds),
        ]
        where !(value >= 0 && value <= 2) { p.append("segmentation.\(name) must lie in [0, 2]") }
        if !(phasePaddingSeconds >= 0 && phasePaddingSeconds <= 2) {
            p.append("segmentation.phase_padding_seconds must lie in [0, 2]")
        }
        return p
    }

    /// How much history (seconds) the buffers must keep for the longest action to be cut whole.
    public var retentionSeconds: Double {
        enabled ? maxActionSeconds + paddingBeforeSeconds + paddingAfterSeconds + offsetSeconds + spanSeconds : 0
    }

    /// The span classified for an action whose motion spans `start...end` (daemon ns).
    public func padded(start: Int64, end: Int64) -> (start: Int64, end: Int64) {
        (start &- Int64(paddingBeforeSeconds * 1e9), end &+ Int64(paddingAfterSeconds * 1e9))
    }
}
