import CMCDaemon
import CMCStream
import Foundation

/// What `cmc-bench soak` runs: how long, how many simulated subjects, how fast, and how often each
/// kind of trouble is injected. Defaults: 10 minutes, 32 subjects at 4× real time.
public struct SoakOptions: Sendable {
    public var seconds = 600.0
    public var subjects = 32
    /// Sensor data per wall-clock second: 4 = each sensor sends four seconds of samples per second.
    public var speed = 4.0
    /// The daemon's clock mode. `aligned` (the default deployment) maps each sensor clock onto its own,
    /// so clock jumps are re-synchronised; `shared` trusts timestamps, so windows come `speed` times as
    /// often (the sensor clocks start far enough in the past never to run ahead of the daemon's).
    public var clock = ClockMode.aligned
    public var modelPath: String
    /// The `cmcd` executable to soak.
    public var cmcd: URL
    /// Where the config, the model copy, keys and cmcd's log go.
    public var workDirectory: String
    public var workers = 2
    public var seed: UInt64 = 1
    /// On average one dropout (a subject's sensors, or one of them, disconnect for 2–6 s) this often.
    public var dropoutEverySeconds = 10.0
    /// On average one sensor clock steps (±2–5 s, for good) this often.
    public var clockJumpEverySeconds = 15.0
    public var reorderProbability = 0.01
    public var duplicateProbability = 0.01
    /// The flooding publisher: frames per second during its bursts (one subject; the daemon's per-stream
    /// limit is 400/s), bursts of `floodBurstSeconds` every `floodBurstSeconds + floodPauseSeconds`.
    public var floodRate = 2000.0
    public var floodBurstSeconds = 5.0
    public var floodPauseSeconds = 10.0
    /// Share of the flood that is malformed (garbage, truncated, bad version, NaN).
    public var malformedFraction = 0.05
    /// Oversized messages: every `oversizeEverySeconds` (0: never) a fresh publisher connects to the IMU,
    /// then the skeleton socket, and sends one message part of `oversizeBytes`, beyond the largest legal
    /// frame (cmcd's `ZMQ_MAXMSGSIZE`): libzmq must drop the peer before allocating the message.
    public var oversizeEverySeconds = 5.0
    public var oversizeBytes = 16 << 20
    /// Subject-id flood: in bursts between the flooder's, one publisher sends well-formed IMU frames for
    /// ids it invents, `squatRate` frames a second (0: never), cycling through `squatIDs` ids — more than
    /// cmcd's `max_subjects`, each silent between its frames, as squatters are.
    public var squatRate = 2000.0
    public var squatIDs = 5000
    /// Against the /metrics listener, for the whole run: `idleConnections` connections that never send a
    /// byte (each reopened a second after cmcd closes it) and `slowlorisClients` that send a request a byte
    /// every 0.9 s; meanwhile the soak scrapes every `scrapeEverySeconds` and every scrape must succeed.
    public var idleConnections = 500
    public var slowlorisClients = 8
    public var scrapeEverySeconds = 1.0
    /// A well-behaved subject whose clocks never stepped may go this long without a label (its longest
    /// dropout is 6 s; re-joining and filling a window take the rest); longer means it was locked out.
    public var labelSilenceLimitSeconds = 12.0
    /// Run every socket with CURVE (keys generated in the work directory).
    public var curve = false
    public var rssSampleSeconds = 5.0

    public init(modelPath: String, cmcd: URL, workDirectory: String) {
        self.modelPath = modelPath
        self.cmcd = cmcd
        self.workDirectory = workDirectory
    }

    /// The memory baseline is taken after this: buffers, queues and allocator pools fill up first.
    public var warmupSeconds: Double { min(60, max(10, seconds * 0.1)) }
}
