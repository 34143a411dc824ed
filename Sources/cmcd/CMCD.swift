import ArgumentParser
import CMCCore
import CMCDaemon
import CMCStream
import Foundation
import Logging

@main
struct CMCD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmcd",
        abstract:
            "Real-time activity recognition daemon: IMU and skeleton frames in (ZeroMQ SUB), activity labels out (PUB).",
        discussion: """
            With no configuration it serves models/utd-mhad-cmkm.safetensors on localhost:
              IMU frames      bind:tcp://127.0.0.1:5555   (topic imu/<subject>/)
              skeleton frames bind:tcp://127.0.0.1:5556   (topic skel/<subject>/)
              label events    bind:tcp://127.0.0.1:5557   (topic label/<subject>/)
              metrics         http://127.0.0.1:9557/metrics
            Settings: the defaults, then --config FILE (JSON, snake_case keys), then CMC_<KEY> environment
            variables (CMC_MODEL, CMC_METRICS_PORT, CMC_IMU=a,b, …), then flags; --print-config shows
            the result and, on stderr, where each value came from.
            SIGHUP reloads the model; a bad file is rejected and the old model keeps serving.
            SIGTERM/SIGINT drain, publish in-flight windows, exit 0. See docs/deployment.md.
            CURVE (authentication + encryption): `cmcd keygen NAME`, then --curve-secret-key,
            --curve-sensors, --curve-consumers. See docs/security.md.
            """,
        version: ToolVersion.text,
        subcommands: [Keygen.self])

    @Option(help: "JSON configuration file (keys as printed by --print-config).") var config: String?
    @Option(help: "Model bundle (.safetensors).") var model: String?
    @Option(help: "IMU frame endpoint, bind:ADDRESS or connect:ADDRESS (repeatable; replaces the configured list).")
    var imu: [String] = []
    @Option(help: "Skeleton frame endpoint (repeatable).") var skeleton: [String] = []
    @Option(help: "Label event endpoint (repeatable).") var labels: [String] = []
    @Option(help: "Serve only these subjects, e.g. 1-50,77 (default: all).") var subjects: String?
    @Option(help: "Seconds of data between two windows of a subject.") var hop: Double?
    @Option(help: "Inference threads.") var workers: Int?
    @Option(help: "Most windows per batched inference call.") var batch: Int?
    @Option(help: "Inference arithmetic: float32, or int8 (needs a CPU with AVX512-VNNI).") var inferencePrecision:
        String?
    @Option(help: "Classifiers deciding a window with both modalities: fused or fused+skeleton.") var heads: String?
    @Option(help: "Windows averaged per published decision (1 = none).") var smoothing: Int?
    @Option(help: "Smoothed probability below which the label is \"unknown\".") var threshold: Double?
    @Option(help: "Prometheus /metrics port on 127.0.0.1 (0 = any free port).") var metricsPort: Int?
    @Option(
        help: "Prometheus /metrics listen address, HOST:PORT (IPv4), e.g. 0.0.0.0:9557 for a scraper on the network.")
    var metrics: String?
    @Flag(help: "No metrics endpoint.") var noMetrics = false
    @Option(help: "Sensor clocks: aligned (each mapped onto the daemon's) or shared (trusted as they are).") var clock:
        String?
    @Option(help: "Log lines as text or json.") var logFormat: String?
    @Option(help: "debug, info, notice, warning or error.") var logLevel: String?
    @Option(help: "CURVE: this daemon's secret key file (mode 0600); enables CURVE on every socket.")
    var curveSecretKey: String?
    @Option(help: "CURVE: allow-list file of the sensor keys that may publish frames.") var curveSensors: String?
    @Option(help: "CURVE: allow-list file of the consumer keys that may read labels.") var curveConsumers: String?
    @Option(help: "CURVE: public key (Z85 or key file) of the server that connect-only sockets dial (cmc-proxy).")
    var curveServerKey: String?
    @Option(help: "Outside systemd: create this file (bound endpoints as JSON) once serving; removed on stop.")
    var readyFile: String?
    @Flag(help: "Print the effective configuration as JSON and exit.") var printConfig = false

    func run() throws {
        // First, before any thread exists: signals are then collected synchronously by the main thread.
        ProcessSignals.block()
        var c = DaemonConfig()
        var sources: [String: String] = [:]
        if let config {
            do { c = try DaemonConfig.load(path: config) } catch { throw ValidationError("\(error)") }
            for key in DaemonConfig.keys(inFile: config) ?? [] { sources[key] = "file \(config)" }
        }
        do {
            let (overlaid, keys) = try c.overlaid(environment: ProcessInfo.processInfo.environment)
            c = overlaid
            for key in keys { sources[key] = "environment \(DaemonConfig.environmentName(of: key))" }
        } catch { throw ValidationError("\(error)") }
        let before = c
        if let model { c.model = model }
        if !imu.isEmpty { c.imu = imu }
        if !skeleton.isEmpty { c.skeleton = skeleton }
        if !labels.isEmpty { c.labels = labels }
        if let subjects {
            do { c.subjects = try SubjectList(parsing: subjects) } catch {
                throw ValidationError("--subjects: \(error)")
            }
        }
        if let hop { c.hopSeconds = hop }
        if let workers { c.workers = workers }
        if let batch { c.maxBatch = batch }
        if let inferencePrecision { c.inferencePrecision = inferencePrecision }
        if let heads { c.heads = heads }
        if let smoothing { c.smoothingWindows = smoothing }
        if let threshold { c.unknownThreshold = threshold }
        if let metricsPort { c.metricsPort = metricsPort }
        if let metrics {
            let parts = metrics.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let port = Int(parts[1]) else {
                throw ValidationError("--metrics \(metrics): expected HOST:PORT")
            }
            c.metricsAddress = String(parts[0])
            c.metricsPort = port
        }
        if noMetrics { c.metricsPort = -1 }
        if let clock { c.clock = clock }
        if let logFormat { c.logFormat = logFormat }
        if let logLevel { c.logLevel = logLevel }
        if let curveSecretKey { c.curveSecretKey = curveSecretKey }
        if let curveSensors { c.curveSensors = curveSensors }
        if let curveConsumers { c.curveConsumers = curveConsumers }
        if let curveServerKey { c.curveServerKey = curveServerKey }
        if let readyFile { c.readyFile = readyFile }
        let problems = c.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
        // Whatever the flags changed came from the flags.
        if let a = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(before)) as? NSDictionary,
            let b = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? NSDictionary
        {
            for key in DaemonConfig.CodingKeys.allCases.map(\.rawValue) where a[key] as? NSObject != b[key] as? NSObject
            {
                sources[key] = "flag"
            }
        }
        if printConfig {
            print(c.json())
            let origin = DaemonConfig.CodingKeys.allCases.map(\.rawValue).sorted().map {
                "  \($0): \(sources[$0] ?? "default")"
            }
            FileHandle.standardError.write(
                Data(("where each value came from:\n" + origin.joined(separator: "\n") + "\n").utf8))
            return
        }

        // problems() vouched for both values.
        CMCLogging.bootstrap(
            level: c.logLevelValue ?? .info, format: LineLogHandler.Format(rawValue: c.logFormat) ?? .text)
        let logger = Logger(label: "cmcd")
        let status = Daemon(config: c, logger: logger).run()
        if status != 0 { throw ExitCode(status) }
    }
}

/// `cmcd keygen NAME`: a CURVE key pair for a daemon, proxy, sensor or consumer.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a CURVE key pair: NAME.key (public, 0644) and NAME.key_secret (secret, 0600).",
        discussion: """
            Prints the public key. Give the public key to the peers (a server's to its clients, a client's
            to the server's allow-list); the secret key stays where it was made and is referenced by path.
            Existing files are never overwritten.
            """)

    @Argument(help: "Path and base name of the key files, e.g. /etc/cmc/curve/cmcd.") var name: String

    func run() throws {
        do {
            let made = try CurveKeyFiles.generate(base: name)
            print(made.pair.publicKey.z85)
            FileHandle.standardError.write(
                Data("public key \(made.publicPath), secret key \(made.secretPath) (mode 0600)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("cmcd keygen: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
