/// Where a socket attaches: `bind` (this process listens) or `connect` (it dials a listener).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Mode: String, Sendable { case bind, connect }
    public var mode: Mode
    /// A ZeroMQ address: `tcp://127.0.0.1:5555`, `ipc:///run/cmcd/imu.sock`, `inproc://name`.
    public var address: String

    public init(_ mode: Mode, _ address: String) {
        self.mode = mode
        self.address = address
    }

    public static func bind(_ address: String) -> Endpoint { Endpoint(.bind, address) }
    public static func connect(_ address: String) -> Endpoint { Endpoint(.connect, address) }

    /// Parses `bind:ADDRESS` or `connect:ADDRESS` (the form used on command lines and in config files).
    public init?(parsing text: String) {
        if text.hasPrefix("bind:") {
            self.init(.bind, String(text.dropFirst(5)))
        } else if text.hasPrefix("connect:") {
            self.init(.connect, String(text.dropFirst(8)))
        } else {
            return nil
        }
        if address.isEmpty { return nil }
    }

    public var description: String { "\(mode.rawValue):\(address)" }
}

/// Everything the streaming pipeline needs besides the classifier. Defaults suit the target load
/// (100+ subjects, 50 Hz IMU + 30 Hz skeleton, hop 0.5 s on 2 cores).
public struct PipelineConfig: Sendable {
    /// SUB sockets for IMU and skeleton frames (one socket per stream kind, any number of endpoints).
    public var imuEndpoints: [Endpoint]
    public var skeletonEndpoints: [Endpoint]
    /// The PUB socket for label events.
    public var labelEndpoints: [Endpoint]
    /// Receive queue per SUB socket: 100 subjects × (10 + 10) frames/s × 25 s of backlog.
    public var receiveHighWaterMark: Int32 = 50_000
    public var sendHighWaterMark: Int32 = 10_000
    /// How long closing the label socket may wait to hand over the last (drained) events.
    public var labelLingerMilliseconds: Int32 = 500
    /// A window is cut every `hopSeconds` of data per subject.
    public var hopSeconds: Double = 0.5
    public var clock = ClockPolicy()
    public var buffer = BufferPolicy()
    public var smoothing = SmoothingPolicy()
    /// Action segmentation: action events, and periodic windows narrowed to the action at their centre.
    public var segmentation = SegmenterPolicy()
    /// Inference threads (OpenBLAS single-threaded in each). Two on a 2-core machine: the I/O thread is
    /// light, inference is the load, and a second worker doubles the subjects served.
    public var workers: Int = 2
    /// Most windows one worker classifies in one call (`WindowClassifier.classify(batch:)`). Batches
    /// only hold what is already queued, so this bounds the work per call, never adds waiting. 8: on one
    /// core the default model classifies the most windows per second at batch 8 (int8 ≈ batch 1, float32
    /// +50 %); at 32 its activations outgrow the caches and each window costs more than alone (int8 −30 %),
    /// so under load the queue grew faster as the batches grew (`cmc-bench stream`, 2026-12-03).
    public var maxBatch: Int = 8
    /// Windows waiting for a worker per publisher (`Publisher`: a CURVE key, else a peer address); when
    /// full the oldest is dropped (`cmc_windows_skipped_total{reason="queue_full"}`), so a publisher
    /// flooding windows holds at most this many while the workers serve every publisher in turn.
    /// A subject has at most one periodic window in flight, so 256 drops nothing of a publisher with up
    /// to 256 subjects (without CURVE every sender on one host is one publisher).
    public var maxQueuedWindowsPerPublisher: Int = 256
    /// Subjects this instance serves (nil: all). Subscribes to `imu/<s>/` and `skel/<s>/` per subject
    /// instead of `imu/`, so publishers (or an XPUB proxy) filter the other subjects out upstream: this
    /// is how several instances share the subjects of one sensor network.
    public var subjects: [UInt32]?
    /// On stop, how long in-flight windows may take to finish and be published.
    public var drainTimeoutSeconds: Double = 2
    /// Messages read from one socket before serving the others (fairness under floods).
    public var maxMessagesPerPoll: Int = 512
    /// The watchdog is only fed while no window has been in flight longer than this.
    public var stallSeconds: Double = 10
    /// Bookkeeping period: eviction, gauges, watchdog, classifier reload pick-up.
    public var tickSeconds: Double = 0.25
    /// CURVE authentication and encryption on the network sockets; nil: plain text (loopback use).
    public var curve: PipelineCurve?

    /// The settings with no endpoints: where `cmcd`'s configuration takes its defaults from.
    public static let defaults = PipelineConfig(imuEndpoints: [], skeletonEndpoints: [], labelEndpoints: [])

    public init(imuEndpoints: [Endpoint], skeletonEndpoints: [Endpoint], labelEndpoints: [Endpoint]) {
        self.imuEndpoints = imuEndpoints
        self.skeletonEndpoints = skeletonEndpoints
        self.labelEndpoints = labelEndpoints
    }
}

/// The endpoints actually bound (`tcp://127.0.0.1:*` resolved to its port), for tests and logs.
public struct BoundEndpoints: Sendable, Equatable {
    public var imu: [String] = []
    public var skeleton: [String] = []
    public var labels: [String] = []

    public init() {}
}
