import CMCCore
import CMCModel
import CMCStream
import CMCTensor
import Foundation
import Logging

/// Everything `cmcd` can be told, with the defaults it runs on when told nothing: a standalone daemon
/// on localhost that binds its three sockets and serves the committed default model.
///
/// Sources, later ones winning: these defaults, a JSON file (`--config`, snake_case keys, every key
/// optional, unknown keys refused so a typo cannot silently fall back to a default), command-line flags.
///
/// ```json
/// {"model": "/usr/local/share/cmc/models/utd-mhad-cmkm.safetensors",
///  "imu": ["connect:tcp://127.0.0.1:5561"], "skeleton": ["connect:tcp://127.0.0.1:5561"],
///  "labels": ["connect:tcp://127.0.0.1:5560"], "subjects": "1-50", "metrics_port": 9558}
/// ```
public struct DaemonConfig: Codable, Sendable, Equatable {
    public static let defaultModelPath = "models/utd-mhad-cmkm.safetensors"
    public static let defaultIMU = "bind:tcp://127.0.0.1:5555"
    public static let defaultSkeleton = "bind:tcp://127.0.0.1:5556"
    public static let defaultLabels = "bind:tcp://127.0.0.1:5557"
    public static let defaultMetricsPort = 9557

    /// Model bundle (`.safetensors` with cmc metadata). Re-read on SIGHUP.
    public var model = DaemonConfig.defaultModelPath
    /// `bind:ADDRESS` or `connect:ADDRESS`, any number each.
    public var imu = [DaemonConfig.defaultIMU]
    public var skeleton = [DaemonConfig.defaultSkeleton]
    public var labels = [DaemonConfig.defaultLabels]
    /// The subjects this instance serves; nil serves every subject.
    public var subjects: SubjectList?
    /// A window is classified every `hop_seconds` of data per subject.
    public var hopSeconds = PipelineConfig.defaults.hopSeconds
    /// Inference threads (OpenBLAS single-threaded in each); the default and its reason: `PipelineConfig.workers`.
    public var workers = PipelineConfig.defaults.workers
    /// Most windows per batched classifier call.
    public var maxBatch = PipelineConfig.defaults.maxBatch
    /// The encoders' arithmetic: "float32", or "int8" (linear and convolution layers in int8 on AVX512-VNNI,
    /// about 3x faster per window; docs/results/int8-inference-2026-12-03.md). The same bundle serves both.
    public var inferencePrecision = InferencePrecision.float32.rawValue
    /// The classifiers deciding a window with both modalities: "fused" or "fused+skeleton"
    /// (`Recognizer.HeadCombination`).
    public var heads = Recognizer.HeadCombination.default.rawValue
    /// Windows averaged per decision (1 = no smoothing); the default and its reason: `SmoothingPolicy`.
    public var smoothingWindows = SmoothingPolicy().windows
    /// Below this smoothed probability the label is "unknown" (`SmoothingPolicy.unknownThreshold`); nil: the
    /// model's calibrated threshold, else `SmoothingPolicy.defaultUnknownThreshold`.
    public var unknownThreshold: Double? = SmoothingPolicy().unknownThreshold
    public var topK = SmoothingPolicy().topK
    /// Action segmentation (docs/deployment.md, "Actions"): `{"enabled": false}` turns action events off
    /// and labels windows from their own data alone; any key of `SegmenterPolicy` may be given.
    public var segmentation = SegmenterPolicy()
    /// Prometheus `/metrics` port; 0 picks a free port, negative disables it.
    public var metricsPort = DaemonConfig.defaultMetricsPort
    /// The IPv4 address `/metrics` listens on: loopback unless a scraper elsewhere needs it
    /// (`0.0.0.0`, or one interface's address; widen the unit's `IPAddressAllow=` too).
    public var metricsAddress = "127.0.0.1"
    /// "aligned" (map each sensor clock onto the daemon's) or "shared" (sensors and daemon share a clock).
    public var clock = "aligned"
    public var maxSubjects = PipelineConfig.defaults.buffer.maxSubjects
    /// "text" or "json" lines on stderr (with `<N>` priority prefixes under journald).
    public var logFormat = "text"
    /// "debug", "info", "notice", "warning" or "error".
    public var logLevel = "info"
    /// On stop, how long windows already in inference may take to be published.
    public var drainSeconds = PipelineConfig.defaults.drainTimeoutSeconds
    /// CURVE (docs/security.md): this daemon's secret key file, mode 0600. Set, every socket uses
    /// CURVE; keys are referenced by path only, so no secret ever appears in a config or a log.
    public var curveSecretKey: String?
    /// Allow-list file of the client keys that may publish frames (the frame sockets' ZAP domain).
    public var curveSensors: String?
    /// Allow-list file of the client keys that may subscribe to labels.
    public var curveConsumers: String?
    /// Public key (Z85 text or key file) of the CURVE server that connect-only sockets dial: the
    /// `cmc-proxy` in front of this instance. Those sockets are then CURVE clients.
    public var curveServerKey: String?
    /// Outside systemd: a file created once the daemon serves (its bound endpoints as JSON) and removed
    /// when it stops; nil for none.
    public var readyFile: String?

    public init() {}

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case model, imu, skeleton, labels, subjects, workers, clock
        case hopSeconds = "hop_seconds", maxBatch = "max_batch", smoothingWindows = "smoothing_windows"
        case inferencePrecision = "inference_precision", heads
        case unknownThreshold = "unknown_threshold", topK = "top_k", metricsPort = "metrics_port", metricsAddress =
            "metrics_address"
        case maxSubjects = "max_subjects", logFormat = "log_format", logLevel = "log_level", drainSeconds =
            "drain_seconds"
        case curveSecretKey = "curve_secret_key", curveSensors = "curve_sensors", curveConsumers = "curve_consumers"
        case curveServerKey = "curve_server_key", segmentation, readyFile = "ready_file"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DaemonConfig()
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? d.model
        imu = try c.decodeIfPresent([String].self, forKey: .imu) ?? d.imu
        skeleton = try c.decodeIfPresent([String].self, forKey: .skeleton) ?? d.skeleton
        labels = try c.decodeIfPresent([String].self, forKey: .labels) ?? d.labels
        subjects = try c.decodeIfPresent(SubjectList.self, forKey: .subjects)
        hopSeconds = try c.decodeIfPresent(Double.self, forKey: .hopSeconds) ?? d.hopSeconds
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? d.workers
        maxBatch = try c.decodeIfPresent(Int.self, forKey: .maxBatch) ?? d.maxBatch
        inferencePrecision = try c.decodeIfPresent(String.self, forKey: .inferencePrecision) ?? d.inferencePrecision
        heads = try c.decodeIfPresent(String.self, forKey: .heads) ?? d.heads
        smoothingWindows = try c.decodeIfPresent(Int.self, forKey: .smoothingWindows) ?? d.smoothingWindows
        unknownThreshold = try c.decodeIfPresent(Double.self, forKey: .unknownThreshold) ?? d.unknownThreshold
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        metricsPort = try c.decodeIfPresent(Int.self, forKey: .metricsPort) ?? d.metricsPort
        metricsAddress = try c.decodeIfPresent(String.self, forKey: .metricsAddress) ?? d.metricsAddress
        clock = try c.decodeIfPresent(String.self, forKey: .clock) ?? d.clock
        maxSubjects = try c.decodeIfPresent(Int.self, forKey: .maxSubjects) ?? d.maxSubjects
        logFormat = try c.decodeIfPresent(String.self, forKey: .logFormat) ?? d.logFormat
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? d.logLevel
        drainSeconds = try c.decodeIfPresent(Double.self, forKey: .drainSeconds) ?? d.drainSeconds
        curveSecretKey = try c.decodeIfPresent(String.self, forKey: .curveSecretKey)
        curveSensors = try c.decodeIfPresent(String.self, forKey: .curveSensors)
        curveConsumers = try c.decodeIfPresent(String.self, forKey: .curveConsumers)
        curveServerKey = try c.decodeIfPresent(String.self, forKey: .curveServerKey)
        segmentation = try c.decodeIfPresent(SegmenterPolicy.self, forKey: .segmentation) ?? d.segmentation
        readyFile = try c.decodeIfPresent(String.self, forKey: .readyFile)
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let source: String, problems: [String]
        public var description: String { "\(source): " + problems.joined(separator: "; ") }
    }

    /// Reads a JSON config file; throws naming the file and every problem (syntax, unknown keys, types).
    public static func load(path: String) throws -> DaemonConfig {
        let data: Data
        do { data = try JSONFile.read(path) } catch { throw Invalid(source: error.file, problems: [error.reason]) }
        return try decode(data, source: path)
    }

    /// Decodes a config file's bytes (`source` names it in errors): a JSON object whose keys are all known,
    /// `segmentation`'s included, with every value of its key's type. Ranges are `problems()`' business.
    public static func decode(_ data: Data, source: String) throws -> DaemonConfig {
        let object: [String: Any]
        do { object = try JSONFile.object(data, source: source) } catch {
            throw Invalid(source: error.file, problems: [error.reason])
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        var unknown = object.keys.filter { !known.contains($0) }.sorted()
        if let nested = object["segmentation"] as? [String: Any] {
            let segmenterKeys = Set(SegmenterPolicy.CodingKeys.allCases.map(\.rawValue))
            unknown += nested.keys.filter { !segmenterKeys.contains($0) }.sorted().map { "segmentation.\($0)" }
        }
        if !unknown.isEmpty {
            throw Invalid(
                source: source,
                problems: [
                    "unknown key(s) \(unknown.joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))"
                ])
        }
        do { return try JSONDecoder().decode(DaemonConfig.self, from: data) } catch let error as DecodingError {
            throw Invalid(source: source, problems: [JSONFile.explain(error)])
        }
    }

    /// The keys a configuration file sets (for `--print-config`'s sources); nil when it cannot be read.
    public static func keys(inFile path: String) -> [String]? {
        guard let data = try? JSONFile.read(path), let object = try? JSONFile.object(data, source: path) else {
            return nil
        }
        return Array(object.keys)
    }

    /// The environment variable that overrides a key: `CMC_` and the key in capitals (`CMC_METRICS_PORT`).
    public static func environmentName(of key: String) -> String { "CMC_" + key.uppercased() }

    /// This configuration with every `CMC_<KEY>` variable of `environment` applied (containers set their
    /// settings that way), and the keys they set. Lists (`imu`, `skeleton`, `labels`) are
    /// comma-separated; numbers and strings as on the command line; `segmentation` is not settable here.
    public func overlaid(environment: [String: String]) throws -> (config: DaemonConfig, keys: [String]) {
        let lists: Set<String> = [CodingKeys.imu.rawValue, CodingKeys.skeleton.rawValue, CodingKeys.labels.rawValue]
        var object = (try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any]) ?? [:]
        var applied: [String] = []
        for key in CodingKeys.allCases.map(\.rawValue) where key != CodingKeys.segmentation.rawValue {
            guard let text = environment[Self.environmentName(of: key)] else { continue }
            if lists.contains(key) {
                object[key] = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            } else if object[key] is NSNumber, !(object[key] is String) {
                // Finite only: "1e400" parses as infinity, which JSON cannot hold (found by fuzz-daemonconfig).
                guard
                    let number = Int(text).map(NSNumber.init(value:))
                        ?? Double(text).flatMap({ $0.isFinite ? NSNumber(value: $0) : nil })
                else {
                    throw Invalid(
                        source: "environment",
                        problems: ["\(Self.environmentName(of: key))=\(text): expected a finite number"]
                    )
                }
                object[key] = number
            } else {
                object[key] = text
            }
            applied.append(key)
        }
        guard !applied.isEmpty else { return (self, []) }
        do {
            return (
                try JSONDecoder().decode(DaemonConfig.self, from: JSONSerialization.data(withJSONObject: object)),
                applied
            )
        } catch let error as DecodingError {
            throw Invalid(source: "environment", problems: [JSONFile.explain(error)])
        }
    }

    /// The effective configuration as pretty JSON (`cmcd --print-config`).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    // MARK: Validation

    /// `heads` as a value; nil when it names none.
    public var headsValue: Recognizer.HeadCombination? { Recognizer.HeadCombination(rawValue: heads) }

    /// `inference_precision` as a value; nil when it names none.
    public var precisionValue: InferencePrecision? { InferencePrecision(rawValue: inferencePrecision) }

    /// `log_level` as a swift-log level; nil when it names none of `Logger.Level.configurable`.
    public var logLevelValue: Logger.Level? { Logger.Level(configured: logLevel) }

    /// Every problem, named; empty when the configuration is usable.
    public func problems() -> [String] {
        var p: [String] = []
        if model.isEmpty { p.append("model: empty path") }
        for (name, list) in [("imu", imu), ("skeleton", skeleton), ("labels", labels)] {
            for e in list where Endpoint(parsing: e) == nil {
                p.append("\(name): \"\(e)\" is not bind:ADDRESS or connect:ADDRESS")
            }
        }
        if imu.isEmpty && skeleton.isEmpty { p.append("imu, skeleton: no input endpoint at all") }
        if labels.isEmpty { p.append("labels: no endpoint to publish on") }
        if !(hopSeconds > 0 && hopSeconds <= 60) { p.append("hop_seconds: \(hopSeconds) is not in (0, 60]") }
        if !(1...64).contains(workers) { p.append("workers: \(workers) is not in 1...64") }
        if !(1...4096).contains(maxBatch) { p.append("max_batch: \(maxBatch) is not in 1...4096") }
        if let precision = precisionValue {
            if let reason = precision.unsupportedReason { p.append("inference_precision: \(reason)") }
        } else {
            let names = InferencePrecision.allCases.map(\.rawValue).joined(separator: " or ")
            p.append("inference_precision: \"\(inferencePrecision)\" is not \(names)")
        }
        if headsValue == nil {
            let names = Recognizer.HeadCombination.allCases.map(\.rawValue).joined(separator: " or ")
            p.append("heads: \"\(heads)\" is not \(names)")
        }
        if !(1...100).contains(smoothingWindows) {
            p.append("smoothing_windows: \(smoothingWindows) is not in 1...100")
        }
        if let u = unknownThreshold, !(u >= 0 && u <= 1) { p.append("unknown_threshold: \(u) is not in [0, 1]") }
        if !(1...1000).contains(topK) { p.append("top_k: \(topK) is not in 1...1000") }
        if metricsPort > 65535 { p.append("metrics_port: \(metricsPort) is not a port") }
        var probe = in_addr()
        if inet_pton(AF_INET, metricsAddress, &probe) != 1 {
            p.append("metrics_address: \"\(metricsAddress)\" is not an IPv4 address")
        }
        if ClockMode(rawValue: clock) == nil { p.append("clock: \"\(clock)\" is not aligned or shared") }
        if !(1...1_000_000).contains(maxSubjects) {
            p.append("max_subjects: \(maxSubjects) is not in 1...1000000")
        } else if let memory = Self.memoryLimitBytes(),
            Double(maxSubjects) * Self.bytesPerStreamingSubject > 0.75 * Double(memory)
        {
            p.append(
                String(
                    format:
                        "max_subjects: %d streaming subjects would need %.1f GiB of buffers (%.0f KiB each), more than 3/4 of "
                        + "the %.1f GiB this process may use", maxSubjects,
                    Double(maxSubjects) * Self.bytesPerStreamingSubject / 1_073_741_824,
                    Self.bytesPerStreamingSubject / 1024, Double(memory) / 1_073_741_824))
        }
        if !["text", "json"].contains(logFormat) { p.append("log_format: \"\(logFormat)\" is not text or json") }
        if logLevelValue == nil { p.append("log_level: \"\(logLevel)\" is not debug, info, notice, warning or error") }
        if !(drainSeconds >= 0 && drainSeconds <= 60) { p.append("drain_seconds: \(drainSeconds) is not in [0, 60]") }
        p += segmentation.problems()
        return p + curveProblems()
    }

    /// Buffers of one subject streaming both modalities at full rings (512 IMU samples × 6 floats + 512
    /// frames × 60 floats) plus its bookkeeping, as measured (docs/security.md): what `max_subjects` costs.
    public static let bytesPerStreamingSubject = 160.0 * 1024

    /// The memory this process may use: its cgroup's `memory.max` (a unit's `MemoryMax=`) when set,
    /// else the machine's physical memory; nil when neither can be read.
    public static func memoryLimitBytes() -> Int? {
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
            let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return limit
        }
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages * size : nil
    }

    /// The streaming pipeline's settings; throws if `problems()` is not empty.
    public func pipelineConfig() throws -> PipelineConfig {
        let p = problems()
        guard p.isEmpty else { throw Invalid(source: "configuration", problems: p) }
        var config = PipelineConfig(
            imuEndpoints: imu.compactMap(Endpoint.init(parsing:)),
            skeletonEndpoints: skeleton.compactMap(Endpoint.init(parsing:)),
            labelEndpoints: labels.compactMap(Endpoint.init(parsing:)))
        config.hopSeconds = hopSeconds
        config.workers = workers
        config.maxBatch = maxBatch
        config.subjects = subjects?.ids
        config.smoothing = SmoothingPolicy(windows: smoothingWindows, unknownThreshold: unknownThreshold, topK: topK)
        config.clock.mode = ClockMode(rawValue: clock) ?? .aligned
        config.buffer.maxSubjects = maxSubjects
        config.drainTimeoutSeconds = drainSeconds
        config.segmentation = segmentation
        return config
    }
}
