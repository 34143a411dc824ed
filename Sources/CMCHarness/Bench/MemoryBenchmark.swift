import CMCCore
import CMCDaemon
import CMCData
import CMCStream
import Foundation

/// `cmc-bench memory`: what a real `cmcd` process keeps resident with a model loaded, serving nobody,
/// one subject and a crowd — the figures an operator sizes `MemoryMax=` and `max_subjects` from.
///
/// The daemon is the release binary next to `cmc-bench`, started from a loopback config; subjects are
/// synthetic streams (50 Hz IMU, 30 Hz skeleton) sent in real time, so buffers and windows are those
/// of a live deployment. Each figure is the largest `VmRSS` sampled over the second half of its phase
/// (the first half fills the rings), read from /proc.
public enum MemoryBenchmark {
    public struct Options: Sendable {
        public var modelPath: String
        public var cmcd: URL
        public var workDirectory: String
        /// Seconds of streaming per phase (one subject, then the crowd).
        public var seconds = 20.0
        public var crowd = 16
        public var workers = PipelineConfig.defaults.workers

        public init(modelPath: String, cmcd: URL, workDirectory: String) {
            self.modelPath = modelPath
            self.cmcd = cmcd
            self.workDirectory = workDirectory
        }
    }

    public struct Report: Codable, Sendable, JSONReport {
        public var model: String
        public var date: String
        public var seconds: Double
        public var crowd: Int
        public var rssMbIdle: Double
        public var rssMbOneSubject: Double
        public var rssMbCrowd: Double
        /// (crowd − one subject) / (crowd − 1): what each further subject costs.
        public var rssMbPerSubject: Double
        /// `VmHWM`: the most the process ever held (model loading included).
        public var peakRssMb: Double
        public var labelsOneSubject: Int
        public var labelsCrowd: Int

        enum CodingKeys: String, CodingKey {
            case model, date, seconds, crowd
            case rssMbIdle = "rss_mb_idle", rssMbOneSubject = "rss_mb_one_subject", rssMbCrowd = "rss_mb_crowd"
            case rssMbPerSubject = "rss_mb_per_subject", peakRssMb = "peak_rss_mb"
            case labelsOneSubject = "labels_one_subject", labelsCrowd = "labels_crowd"
        }

        public var summary: String {
            String(
                format: """
                    cmcd resident memory (%@, model %@)
                      serving nobody      %6.1f MB
                      one subject         %6.1f MB   (%d labels in %.0f s)
                      %3d subjects        %6.1f MB   (%d labels)
                      per further subject %6.2f MB
                      peak (VmHWM)        %6.1f MB
                    """, date, model, rssMbIdle, rssMbOneSubject, labelsOneSubject, seconds, crowd, rssMbCrowd,
                labelsCrowd, rssMbPerSubject, peakRssMb)
        }
    }

    public static func run(_ o: Options, progress: (String) -> Void = { _ in }) throws -> Report {
        try FileManager.default.createDirectory(atPath: o.workDirectory, withIntermediateDirectories: true)
        var config = DaemonConfig()
        config.model = o.modelPath
        config.imu = ["bind:tcp://127.0.0.1:*"]
        config.skeleton = ["bind:tcp://127.0.0.1:*"]
        config.labels = ["bind:tcp://127.0.0.1:*"]
        config.metricsPort = 0 // a free port: SoakDaemon reads it from the start line
        config.workers = o.workers
        let configPath = o.workDirectory + "/cmcd-memory.json"
        try Data(config.json().utf8).write(to: URL(fileURLWithPath: configPath))
        let daemon = try SoakDaemon(
            executable: o.cmcd, arguments: ["--config", configPath], logPath: o.workDirectory + "/cmcd-memory.log")
        defer { _ = daemon.stop(timeout: 10) }
        let endpoints = try daemon.endpoints(timeout: 60)
        let targets = ReplayTargets(
            imu: [.connect(endpoints.imu)], skeleton: [.connect(endpoints.skeleton)],
            labels: [.connect(endpoints.labels)])

        // Serving nobody: the steady value a few seconds after start (the heap is trimmed after loading).
        progress("cmcd \(daemon.pid) started; measuring it idle")
        let idle = try sampleMaxRSS(daemon, seconds: 3, from: 1)
        progress(String(format: "idle: %.1f MB; streaming one subject for %.0f s", idle, o.seconds))
        let (one, oneLabels) = try stream(subjects: 1, first: 1, o, daemon, targets)
        progress(String(format: "one subject: %.1f MB; streaming %d subjects for %.0f s", one, o.crowd, o.seconds))
        let (crowd, crowdLabels) = try stream(subjects: o.crowd, first: 1001, o, daemon, targets)
        guard oneLabels > 0, crowdLabels > 0 else {
            throw SoakError("cmcd published no labels (one subject: \(oneLabels), crowd: \(crowdLabels))")
        }
        return Report(
            model: URL(fileURLWithPath: o.modelPath).lastPathComponent,
            date: ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate]),
            seconds: o.seconds, crowd: o.crowd, rssMbIdle: idle, rssMbOneSubject: one, rssMbCrowd: crowd,
            rssMbPerSubject: (crowd - one) / Double(max(1, o.crowd - 1)),
            peakRssMb: Double(daemon.peakResidentKiB() ?? 0) / 1024, labelsOneSubject: oneLabels,
            labelsCrowd: crowdLabels)
    }

    /// Streams `subjects` synthetic subjects in real time; the largest RSS over the second half, and the
    /// labels the daemon published for them.
    private static func stream(
        subjects: Int, first: UInt32, _ o: Options, _ daemon: SoakDaemon, _ targets: ReplayTargets
    ) throws -> (Double, Int) {
        let scripts = SyntheticStreams.scripts(
            subjects: subjects, seconds: o.seconds, info: UTDMHAD.info, firstSubject: first)
        let peak = Locked(0.0)
        let done = Locked(false)
        let sampler = Thread {
            let start = Date()
            while !done.current {
                if Date().timeIntervalSince(start) > o.seconds / 2, let kib = daemon.residentKiB() {
                    peak.withLock { $0 = max($0, Double(kib) / 1024) }
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        sampler.start()
        var send = SendOptions()
        send.speed = 1
        let outcome = try ReplaySession.run(
            scripts: scripts, targets: targets, send: send, evaluate: true, drainSeconds: 2, context: try ZMQContext())
        done.withLock { $0 = true }
        guard daemon.isRunning else { throw SoakError("cmcd exited while streaming \(subjects) subject(s)") }
        return (peak.current, outcome.labels.count)
    }

    /// The largest RSS (MB) sampled every 0.2 s from `from` to `seconds` after now.
    private static func sampleMaxRSS(_ daemon: SoakDaemon, seconds: Double, from: Double) throws -> Double {
        let start = Date()
        var largest = 0.0
        while Date().timeIntervalSince(start) < seconds {
            if Date().timeIntervalSince(start) >= from, let kib = daemon.residentKiB() {
                largest = max(largest, Double(kib) / 1024)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        guard daemon.isRunning, largest > 0 else { throw SoakError("cmcd is not running (see its log)") }
        return largest
    }
}
