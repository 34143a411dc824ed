import Logging
import CMCCore
import CMCStream
import CMCTensor
import Foundation

/// `cmcd`: loads the model, runs the streaming pipeline and the metrics endpoint, and manages the
/// process's life under systemd.
///
/// - start: BLAS single-threaded (workers parallelise across windows instead), model loaded and
///   smoke-tested, sockets bound, then `READY=1` and a `STATUS=` line naming the bound endpoints;
/// - SIGHUP: reload the model file. Atomic: the new bundle is loaded, checked and smoke-tested aside;
///   only then is it swapped in. A bad file is rejected with a log line naming the problem, and the old
///   model keeps serving;
/// - SIGTERM / SIGINT: `STOPPING=1`, stop cutting windows, publish those in inference, close, exit 0;
/// - the watchdog is fed by the pipeline's own progress (see `StreamPipeline`), so a wedged daemon is
///   restarted; an I/O thread that dies makes the daemon exit 1 (systemd's `Restart=on-failure`).
public final class Daemon {
    public let config: DaemonConfig
    private let logger: Logger
    private let notifier: SystemdNotifier?
    private let registry = MetricsRegistry()
    private let reloadFailures: Counter
    private var pipeline: StreamPipeline?
    private var metricsServer: MetricsHTTPServer?
    private var endpoints = BoundEndpoints()
    /// When to give freed heap memory back to the kernel next (`MemoryTrim`): every minute, and 2 s after
    /// a reload, once windows still in inference with the old model have finished.
    private var trimAt: Int64?
    private static let trimInterval: Int64 = 60_000_000_000

    public init(config: DaemonConfig, logger: Logger, notifier: SystemdNotifier? = SystemdNotifier()) {
        self.config = config
        self.logger = logger
        self.notifier = notifier
        reloadFailures = registry.counter(
            "cmc_model_reload_failures_total", help: "SIGHUP reloads rejected (the previous model kept serving).")
        lastReloadTime = registry.gauge(
            "cmc_model_last_reload_timestamp_seconds",
            help: "When the last SIGHUP reload was tried (Unix time; 0: never).")
        lastReloadSuccess = registry.gauge(
            "cmc_model_last_reload_success", help: "1 if the last SIGHUP reload was accepted, 0 if rejected.")
        lastReloadSuccess.set(1)
        ProcessMetrics.register(in: registry)
    }

    private let lastReloadTime: Gauge
    private let lastReloadSuccess: Gauge
    /// The `cmc_model_info` series of the model now serving (set to 0 when another replaces it).
    private var modelInfo: Gauge?

    /// `cmc_model_info{path,dataset,method,classes,created,precision} 1` for the model serving now.
    private func publishModelInfo(_ classifier: BundleClassifier) {
        let meta = classifier.recognizer.bundle.metadata
        modelInfo?.set(0)
        modelInfo = registry.gauge(
            "cmc_model_info", help: "Always 1 for the model serving now (0 for models it replaced).",
            labels: [
                ("path", classifier.source), ("dataset", meta.dataset.name), ("method", meta.method),
                ("classes", "\(meta.dataset.classNames.count)"), ("created", meta.created),
                ("precision", classifier.recognizer.precision.rawValue),
            ])
        modelInfo?.set(1)
    }

    /// Exit status when the configuration, its key files or the model cannot be used (EX_CONFIG):
    /// restarting will not help, so the units list it in `RestartPreventExitStatus=` (with 64,
    /// EX_USAGE, which the argument parser returns for invalid options and config values).
    public static let configurationError: Int32 = 78

    /// The whole life of the process: returns its exit status (0 after a requested stop).
    /// Call `ProcessSignals.block()` first, before anything starts a thread.
    public func run() -> Int32 {
        BLAS.setThreads(1)
        Runtime.configureAllocator()
        let classifier: BundleClassifier
        var pipelineConfig: PipelineConfig
        do {
            pipelineConfig = try config.pipelineConfig()
            pipelineConfig.curve = try config.loadCurve()
            classifier = try loadModel()
            // Loading decoded the file and ran the self-test: give those buffers back before serving.
            MemoryTrim.release()
        } catch {
            logger.error("startup failed: \(error)")
            notifier?.status("startup failed: \(error)")
            return Self.configurationError
        }
        do {
            if config.metricsPort >= 0 {
                metricsServer = try MetricsHTTPServer(
                    registry: registry, host: config.metricsAddress,
                    port: UInt16(config.metricsPort))
            }
            let pipeline = try StreamPipeline(
                config: pipelineConfig, classifier: classifier, metrics: registry, logger: logger, notifier: notifier)
            self.pipeline = pipeline
            endpoints = try pipeline.start()
        } catch {
            logger.error("startup failed: \(error)")
            notifier?.status("startup failed: \(error)")
            metricsServer?.stop()
            return 1
        }
        writeReadyFile()
        logger.info(
            "started",
            metadata: .fields([
                "imu": endpoints.imu.joined(separator: ","), "skeleton": endpoints.skeleton.joined(separator: ","),
                "labels": endpoints.labels.joined(separator: ","), "metrics": metricsAddress,
                "subjects": config.subjects?.description ?? "all", "workers": "\(config.workers)",
                "hop_s": "\(config.hopSeconds)", "clock": config.clock,
            ]))
        if let curve = pipelineConfig.curve { logCurve(curve) }
        announce(classifier)
        trimAt = MonotonicClock.now() + Self.trimInterval
        let status = serve()
        if let path = config.readyFile { unlink(path) }
        pipeline?.stop()
        metricsServer?.stop()
        logger.info("stopped", metadata: .fields(["exit": "\(status)"]))
        return status
    }

    /// Outside systemd, the ready signal: `ready_file` appears (written aside, then renamed: readers never
    /// see half a file) once every socket is bound, holding the bound endpoints as JSON; it is removed on
    /// stop. A script waits for the file instead of polling `/metrics` or parsing logs.
    private func writeReadyFile() {
        guard let path = config.readyFile else { return }
        let info: [String: Any] = [
            "pid": Int(getpid()), "imu": endpoints.imu, "skeleton": endpoints.skeleton, "labels": endpoints.labels,
            "metrics": metricsAddress, "model": config.model,
        ]
        let temporary = path + ".tmp-\(getpid())"
        do {
            try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]).write(
                to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            logger.warning("cannot write the ready file", metadata: .fields(["path": path, "problem": "\(error)"]))
        }
    }

    /// The signal loop: runs on the calling (main) thread until a stop is requested or the pipeline dies.
    private func serve() -> Int32 {
        while true {
            switch ProcessSignals.wait(timeout: 0.25) {
            case SIGHUP?:
                reload()
            case let signal? where ProcessSignals.shutdown.contains(signal):
                logger.notice("stopping", metadata: .fields(["signal": ProcessSignals.name(signal)]))
                return 0
            default:
                if let at = trimAt, MonotonicClock.now() >= at {
                    trimAt = MonotonicClock.now() + Self.trimInterval
                    let (before, after) = MemoryTrim.release()
                    logger.debug(
                        "released freed memory",
                        metadata: .fields([
                            "rss_kib_before": before.map { "\($0)" } ?? "?",
                            "rss_kib_after": after.map { "\($0)" } ?? "?",
                        ]))
                }
                if let failure = pipeline?.failure {
                    logger.error("pipeline failed, exiting", metadata: .fields(["reason": failure]))
                    return 1
                }
            }
        }
    }

    private func loadModel() throws -> BundleClassifier {
        let started = Date()
        // problems() vouched for the precision.
        let classifier = try BundleClassifier.load(
            path: config.model, precision: config.precisionValue ?? .float32, heads: config.headsValue ?? .default)
        let meta = classifier.recognizer.bundle.metadata
        logger.info(
            "model loaded",
            metadata: .fields([
                "path": config.model, "method": meta.method, "dataset": meta.dataset.name,
                "precision": classifier.recognizer.precision.rawValue, "heads": classifier.recognizer.heads.rawValue,
                "classes": "\(meta.dataset.classNames.count)",
                "window_s": "\(meta.windowSeconds)", "imu_channels": "\(classifier.spec.inertialChannels ?? 0)",
                "joints": "\(classifier.spec.skeletonJoints ?? 0)",
                "load_ms": String(format: "%.0f", Date().timeIntervalSince(started) * 1e3),
            ]))
        return classifier
    }

    /// Loads the model file aside and swaps it in only if it is sound; re-reads the CURVE allow-lists.
    private func reload() {
        notifier?.reloading()
        reloadAllowLists()
        defer { trimAt = MonotonicClock.now() + 2_000_000_000 }
        lastReloadTime.set(Date().timeIntervalSince1970)
        do {
            let classifier = try loadModel()
            try pipeline?.replaceClassifier(classifier)
            logger.notice("model reloaded", metadata: .fields(["path": config.model]))
            lastReloadSuccess.set(1)
            announce(classifier)
        } catch {
            reloadFailures.increment()
            lastReloadSuccess.set(0)
            let current = (pipeline?.currentClassifier as? BundleClassifier)?.source ?? "the previous model"
            logger.error(
                "model reload rejected, still serving the previous model",
                metadata: .fields(["serving": current, "problem": "\(error)"]))
            notifier?.ready(status: status(serving: pipeline?.currentClassifier) + "; last reload rejected")
        }
    }

    /// Keys by path and public key only: the secret key's text never reaches a log line.
    private func logCurve(_ curve: PipelineCurve) {
        logger.info(
            "CURVE on",
            metadata: .fields([
                "public_key": curve.keys.publicKey.z85, "secret_key_file": config.curveSecretKey ?? "",
                "sensors": "\(curve.sensors.source) (\(curve.sensors.count) keys)",
                "consumers": "\(curve.consumers.source) (\(curve.consumers.count) keys)",
                "upstream_server_key": curve.upstreamServerKey?.z85 ?? "none",
            ]))
    }

    /// A new allow-list applies to handshakes from now on; a broken file keeps the previous lists.
    private func reloadAllowLists() {
        do {
            guard let lists = try config.loadAllowLists() else { return }
            pipeline?.replaceAllowLists(sensors: lists.sensors, consumers: lists.consumers)
            logger.notice(
                "CURVE allow-lists reloaded",
                metadata: .fields(["sensors": "\(lists.sensors.count)", "consumers": "\(lists.consumers.count)"]))
        } catch {
            logger.error(
                "CURVE allow-list reload rejected, keeping the previous lists",
                metadata: .fields(["problem": "\(error)"]))
        }
    }

    private func announce(_ classifier: BundleClassifier) {
        publishModelInfo(classifier)
        notifier?.ready(status: status(serving: classifier))
    }

    /// The `STATUS=` line: what is served and where (tests and `systemctl status` read it).
    private func status(serving classifier: (any WindowClassifier)?) -> String {
        let model = (classifier as? BundleClassifier)?.source ?? config.model
        let classes = classifier?.spec.classNames.count ?? 0
        return
            "serving \(model) (\(classes) classes); imu=\(endpoints.imu.joined(separator: ",")) skeleton=\(endpoints.skeleton.joined(separator: ","))"
            + " labels=\(endpoints.labels.joined(separator: ",")) metrics=\(metricsAddress)"
            + (curvePublicKey.map { " curve=\($0)" } ?? "")
    }

    /// Public: clients need it as their server key. Nil without CURVE.
    private var curvePublicKey: String? { pipeline?.config.curve?.keys.publicKey.z85 }

    private var metricsAddress: String { metricsServer.map { "\($0.host):\($0.port)" } ?? "off" }
}
