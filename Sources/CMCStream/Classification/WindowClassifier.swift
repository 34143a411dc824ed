import CMCCore
/// The raw samples of one modality inside one window, on the window's time base.
public struct ModalityWindow: Sendable, Equatable {
    /// C: IMU channels, or coordinates per joint for skeletons.
    public var channels: Int
    /// J: skeleton joints; 0 for IMU.
    public var joints: Int
    /// T: samples in the window (irregular sampling and reordering are already resolved: times increase).
    public var count: Int
    /// Per-sample time in seconds after the window start, in (0, W]. Lets the model resample to its
    /// training rate with the same code training used.
    public var times: [Double]
    /// IMU: C × T row-major (`values[c * T + t]`). Skeleton: C × T × J row-major
    /// (`values[(c * T + t) * J + j]`). Units are canonical (m/s², rad/s, µT, m).
    public var values: [Float]

    public init(channels: Int, joints: Int, count: Int, times: [Double], values: [Float]) {
        self.channels = channels
        self.joints = joints
        self.count = count
        self.times = times
        self.values = values
    }
}

/// One subject's aligned multimodal window, handed to the classifier on a worker thread.
public struct Window: Sendable {
    public var subject: UInt32
    /// Window bounds in nanoseconds on the daemon timeline (CLOCK_MONOTONIC, or the shared sensor clock).
    public var start: Int64
    public var end: Int64
    public var inertial: ModalityWindow?
    public var skeleton: ModalityWindow?
    /// CLOCK_MONOTONIC ns at which the window's data was complete (the arrival that completed it).
    public var readyAt: Int64
    /// Why it was cut: a periodic window, or a whole action found by the segmenter.
    public var purpose: Purpose
    /// Daemon timeline − the sensor clock of the subject's lead stream (its IMU if it streams one), so
    /// events can say where the window lies on the sender's own clock.
    public var sensorOffset: Int64

    public enum Purpose: Sendable, Equatable {
        /// The periodic window ending at `end`. `label` is the span the published label describes: the
        /// window's nominal bounds, while the data may have been narrowed to the action around its
        /// centre. `phase` is where its centre lies (nil: the segmenter had no say).
        case periodic(label: ClosedRange<Int64>, phase: SegmentPhase?)
        /// A whole action, padded, for one action event.
        case action(ActionSegment)
    }

    public init(
        subject: UInt32, start: Int64, end: Int64, inertial: ModalityWindow?, skeleton: ModalityWindow?, readyAt: Int64,
        purpose: Purpose? = nil, sensorOffset: Int64 = 0
    ) {
        self.subject = subject
        self.start = start
        self.end = end
        self.inertial = inertial
        self.skeleton = skeleton
        self.readyAt = readyAt
        self.purpose = purpose ?? .periodic(label: start...max(start, end), phase: nil)
        self.sensorOffset = sensorOffset
    }

    public var modalities: [Modality] {
        (inertial == nil ? [] : [.inertial]) + (skeleton == nil ? [] : [.skeleton])
    }
}

/// What a model expects, so the daemon can validate frames before buffering them and cut windows of
/// the right length. Travels with the model (the bundle's metadata), never re-typed in the daemon.
public struct ClassifierSpec: Sendable, Equatable {
    public var classNames: [String]
    public var windowSeconds: Double
    /// IMU channels per sample; nil if the model has no inertial branch.
    public var inertialChannels: Int?
    /// Expected canonical unit per IMU channel; nil accepts any. `unspecified` on the wire is trusted.
    public var inertialUnits: [SensorUnit]?
    /// Skeleton coordinates per joint and joints per body; nil if the model has no skeleton branch.
    public var skeletonCoordinates: Int?
    public var skeletonJoints: Int?
    /// Canonical unit of the skeleton coordinates (metres for a model trained on m or mm); nil accepts any.
    public var skeletonUnit: SensorUnit?
    /// Which model this is, carried by every event (`model`): e.g. `utd-mhad-cmkm.safetensors@fnv1a64:…`.
    public var modelID: String?
    /// The model's skeleton layout, when it is one cmc can retarget other layouts to (Kinect v1): frames
    /// with another known layout's joint count are then retargeted on arrival (`SkeletonLayout`).
    public var skeletonLayout: SkeletonLayout?
    /// Classes that mean "no action" (e.g. `idle`): published as `idle`, and an action the model calls
    /// one of them gets no action event.
    public var backgroundClasses: [String] = []
    /// The model's own unknown threshold (calibrated for a target false-label rate in idle), used when the
    /// operator sets none; nil: `SmoothingPolicy.defaultUnknownThreshold`.
    public var unknownThreshold: Double?
    /// Whether a window with only that modality can be classified (the unimodal fallback).
    public var inertialOnly: Bool
    public var skeletonOnly: Bool

    public init(
        classNames: [String], windowSeconds: Double, inertialChannels: Int?, inertialUnits: [SensorUnit]? = nil,
        skeletonCoordinates: Int?, skeletonJoints: Int?, skeletonUnit: SensorUnit? = nil, inertialOnly: Bool = true,
        skeletonOnly: Bool = true
    ) {
        self.classNames = classNames
        self.windowSeconds = windowSeconds
        self.inertialChannels = inertialChannels
        self.inertialUnits = inertialUnits
        self.skeletonCoordinates = skeletonCoordinates
        self.skeletonJoints = skeletonJoints
        self.skeletonUnit = skeletonUnit
        self.inertialOnly = inertialOnly
        self.skeletonOnly = skeletonOnly
    }

    /// Whether the model can decide from exactly this set of modalities.
    public func accepts(inertial: Bool, skeleton: Bool) -> Bool {
        switch (inertial, skeleton) {
        case (true, true): inertialChannels != nil && skeletonJoints != nil
        case (true, false): inertialChannels != nil && inertialOnly
        case (false, true): skeletonJoints != nil && skeletonOnly
        case (false, false): false
        }
    }
}

/// A classifier's answer for one window: one probability per class of `spec.classNames`.
public struct Classification: Sendable, Equatable {
    public var probabilities: [Float]
    public init(probabilities: [Float]) { self.probabilities = probabilities }
}

/// The model as the streaming layer sees it: raw windows in, class probabilities out.
///
/// Called on worker threads, possibly concurrently for different subjects, so implementations must be
/// `Sendable` (immutable weights plus per-call scratch, or internal locking). The daemon swaps the whole
/// classifier atomically on reload; a window is always classified by the model whose spec it was cut for.
public protocol WindowClassifier: Sendable {
    var spec: ClassifierSpec { get }
    /// Class probabilities for the modalities present in `window` (`window.modalities`). Throwing drops
    /// the window (counted and logged); it never stops the daemon.
    func classify(_ window: Window) throws -> Classification
    /// Several windows at once, one result per window in order. Workers call this with whatever is
    /// queued (up to `PipelineConfig.maxBatch`), so a model whose batched forward pass is cheaper per
    /// window than single calls serves more subjects; one failing window must not fail the others.
    /// The default classifies the windows one by one.
    func classify(batch windows: [Window]) -> [Result<Classification, any Error>]
}

extension WindowClassifier {
    public func classify(batch windows: [Window]) -> [Result<Classification, any Error>] {
        windows.map { window in Result { try classify(window) } }
    }
}
