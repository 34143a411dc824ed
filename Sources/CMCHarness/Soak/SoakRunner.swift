import CMCCore
import CMCDaemon
import CMCModel
import CMCStream
import Foundation

/// `cmc-bench soak`: runs a real `cmcd` process for a sustained period under many simulated subjects
/// and every kind of trouble the brief lists, then reports what it did and whether it held up.
///
/// Timeline: cmcd starts from a config in the work directory; the label consumer, the sensors, the
/// flooding publisher and the attackers (oversized messages, subject squatters, idle and slowloris
/// connections to /metrics, with a scraper that must keep succeeding) start; at 30 % of the run the
/// model is replaced and reloaded (SIGHUP), at 40 %
/// a truncated model is put in its place (the reload must be rejected), at 45 % the good one comes
/// back; RSS is sampled every few seconds (the second half is the steady state memory is judged on); at the end the
/// publishers stop, the last labels drain,
/// cmcd's metrics are scraped and it is stopped with SIGTERM.
public enum SoakRunner {
    public static func run(_ o: SoakOptions, progress: @escaping @Sendable (String) -> Void = { _ in }) throws
        -> SoakReport
    {
        let fm = FileManager.default
        try fm.createDirectory(atPath: o.workDirectory, withIntermediateDirectories: true)
        let model = o.workDirectory + "/model.safetensors"
        try? fm.removeItem(atPath: model)
        try fm.copyItem(atPath: o.modelPath, toPath: model)
        let metadata = try ModelBundle.load(URL(fileURLWithPath: model)).metadata
        let signals = SoakSignals(info: metadata.dataset)
        let (configPath, client) = try writeConfig(o, model: model)

        let daemon = try SoakDaemon(
            executable: o.cmcd, arguments: ["--config", configPath], logPath: o.workDirectory + "/cmcd.log")
        let endpoints = try daemon.endpoints(timeout: 120)
        let startRSS = daemon.residentKiB() ?? 0
        progress(
            "cmcd \(daemon.pid) serving: imu \(endpoints.imu), skeleton \(endpoints.skeleton), labels \(endpoints.labels), "
                + "metrics 127.0.0.1:\(endpoints.metricsPort); RSS \(startRSS / 1024) MiB")
        let context = try ZMQContext()
        let tap = try SoakLabelTap(
            endpoint: endpoints.labels, curve: client, context: context,
            wellBehaved: 1...UInt32(max(1, o.subjects)))

        let start = MonotonicClock.now() + 300_000_000
        let end = start + Int64(o.seconds * 1e9)
        // Sensor clocks start far enough back never to run ahead of the daemon's, even `speed` times fast.
        let origin = start - Int64(((o.speed - 1) * o.seconds + 1) * 1e9)
        let sender = Locked<Result<SoakSendCounts, any Error>?>(nil)
        let flooder = Locked<Result<(Int, Int, Int), any Error>?>(nil)
        let abort = Locked(false)
        let done = DispatchSemaphore(value: 0)
        let cpuAtStart = daemon.cpuSeconds() ?? 0
        spawn("soak-sensors", done) {
            sender.withLock {
                $0 = Result {
                    let s = SoakSender(
                        options: o, signals: signals,
                        endpoints: [.inertial: endpoints.imu, .skeleton: endpoints.skeleton], curve: client,
                        context: context, start: start, origin: origin)
                    try s.run(end: end, shouldStop: { abort.current })
                    return s.counts
                }
            }
        }
        spawn("soak-flood", done) {
            flooder.withLock {
                $0 = Result {
                    let f = try SoakFlooder(
                        options: o, signals: signals, endpoint: endpoints.imu, curve: client, context: context)
                    try f.run(start: start, end: end, shouldStop: { abort.current })
                    return (f.frames, f.malformed, f.bursts)
                }
            }
        }

        let attacks = Locked(SoakAttacks())
        let attackFailures = Locked([String]())
        var threads = 2 // the sensors and the flooder
        func attack(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
            threads += 1
            spawn("soak-\(name)", done) {
                do { try body() } catch { attackFailures.withLock { $0.append("\(name) attacker failed: \(error)") } }
            }
        }
        let frameEndpoints = [Modality.inertial: endpoints.imu, .skeleton: endpoints.skeleton]
        attack("oversize") {
            let a = SoakOversize(options: o, endpoints: frameEndpoints, curve: client, context: context)
            defer { attacks.withLock { $0.oversize = a.counts } }
            try a.run(start: start, end: end, shouldStop: { abort.current })
        }
        attack("squat") {
            let a = try SoakSquatter(
                options: o, signals: signals, endpoint: endpoints.imu, curve: client,
                context: context)
            defer { attacks.withLock { $0.squat = a.counts } }
            try a.run(start: start, end: end, shouldStop: { abort.current })
        }
        attack("http") {
            let a = SoakHTTPAttack(options: o, port: endpoints.metricsPort)
            a.run(end: end, shouldStop: { abort.current })
            attacks.withLock { $0.http = a.counts }
        }
        attack("scrape") {
            let a = SoakScraper(options: o, port: endpoints.metricsPort)
            a.run(start: start, end: end, shouldStop: { abort.current })
            attacks.withLock { $0.scrapes = a.counts }
        }

        var problems: [String] = []
        var samples: [[Double]] = []
        var reloads: [SoakReport.Reload] = []
        // Reloads in the first half, so the second half shows the steady state memory is judged on.
        var plan: [(at: Double, kind: String)] = [(0.3, "replace"), (0.4, "truncated"), (0.45, "restore")]
        var nextSample = 0.0
        var nextProgress = 0.1
        while MonotonicClock.now() < end {
            ReplaySender.sleep(seconds: 0.25)
            let t = Double(MonotonicClock.now() - start) * 1e-9
            guard daemon.isRunning else {
                problems.append(String(format: "cmcd exited %.0f s into the soak", t))
                abort.withLock { $0 = true }
                break
            }
            if t >= nextSample, let rss = daemon.residentKiB() {
                samples.append([t, Double(rss)])
                nextSample += min(o.rssSampleSeconds, o.seconds / 30)
            }
            if let step = plan.first, t >= step.at * o.seconds {
                plan.removeFirst()
                reloads.append(reload(step.kind, at: t, daemon: daemon, model: model, source: o.modelPath))
                progress("reload (\(step.kind)) at \(Int(t)) s: \(reloads.last!.outcome)")
            }
            if t >= nextProgress * o.seconds {
                progress(
                    String(
                        format: "%3.0f %%  labels %d  RSS %.0f MiB", nextProgress * 100, tap.received,
                        (samples.last?[1] ?? 0) / 1024))
                nextProgress += 0.1
            }
        }
        for _ in 0..<threads { done.wait() }
        ReplaySender.sleep(seconds: 2) // windows in inference publish, the last labels arrive
        let wall = Double(MonotonicClock.now() - start) * 1e-9
        let scrape = try? PrometheusScrape.fetch(port: endpoints.metricsPort)
        let endRSS = daemon.residentKiB() ?? 0
        let peakRSS = daemon.peakResidentKiB() ?? 0
        let cpu = ((daemon.cpuSeconds() ?? cpuAtStart) - cpuAtStart) / wall
        let jumped = Set((try? sender.current?.get())?.clockJumpSubjects ?? [])
        let labels = tap.stop(clockJumped: jumped)
        let exit = daemon.stop(timeout: 20)

        var sent = SoakSendCounts()
        switch sender.current {
        case .success(let counts)?: sent = counts
        case .failure(let error)?: problems.append("sensors failed: \(error)")
        case nil: problems.append("sensors never finished")
        }
        switch flooder.current {
        case .success((let frames, let malformed, let bursts))?:
            (sent.floodFrames, sent.floodMalformed, sent.floodBursts) = (frames, malformed, bursts)
        case .failure(let error)?: problems.append("flooder failed: \(error)")
        case nil: problems.append("flooder never finished")
        }
        let memory = SoakMemory.assess(
            start: startRSS, end: endRSS, peak: peakRSS, samples: samples, warmup: o.warmupSeconds, seconds: o.seconds)
        let stats = scrape.map { SoakMetrics.daemon(from: $0, exit: exit) } ?? SoakMetrics.empty(exit: exit)
        if scrape == nil { problems.append("could not scrape cmcd's metrics") }
        problems += attackFailures.current
        problems += SoakMetrics.problems(stats, sent: sent, labels: labels, reloads: reloads, memory: memory)
        problems += SoakMetrics.problems(attacks.current, labels: labels, options: o)
        return SoakReport(
            seconds: o.seconds, subjects: o.subjects, speed: o.speed, clock: o.clock.rawValue, curve: o.curve,
            model: "\(metadata.method) \(metadata.dataset.name) (\(o.modelPath))", sent: sent,
            attacks: attacks.current, daemon: stats, labels: labels, reloads: reloads, memory: memory,
            cpuCores: cpu, passed: problems.isEmpty, problems: problems)
    }

    private static func spawn(_ name: String, _ done: DispatchSemaphore, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            body()
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// The daemon's configuration file (and CURVE keys, generated afresh): loopback, any free ports.
    private static func writeConfig(_ o: SoakOptions, model: String) throws -> (String, CurveClient?) {
        var c = DaemonConfig()
        c.model = model
        c.imu = ["bind:tcp://127.0.0.1:*"]
        c.skeleton = ["bind:tcp://127.0.0.1:*"]
        c.labels = ["bind:tcp://127.0.0.1:*"]
        c.metricsPort = 0
        c.clock = o.clock.rawValue
        c.workers = o.workers
        var client: CurveClient?
        if o.curve {
            let keys = o.workDirectory + "/keys"
            try? FileManager.default.removeItem(atPath: keys)
            try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
            let server = try CurveKeyFiles.generate(base: keys + "/cmcd")
            let soak = try CurveKeyFiles.generate(base: keys + "/soak")
            try Data("\(soak.pair.publicKey.z85) soak\n".utf8).write(to: URL(fileURLWithPath: keys + "/clients.allow"))
            c.curveSecretKey = server.secretPath
            c.curveSensors = keys + "/clients.allow"
            c.curveConsumers = keys + "/clients.allow"
            client = CurveClient(serverKey: server.pair.publicKey, keys: soak.pair)
        }
        let path = o.workDirectory + "/cmcd.json"
        try Data(c.json().utf8).write(to: URL(fileURLWithPath: path))
        return (path, client)
    }

    /// Puts a model in place the way a deployment does (a copy renamed over the file), sends SIGHUP and
    /// waits for the daemon's verdict.
    private static func reload(_ kind: String, at t: Double, daemon: SoakDaemon, model: String, source: String)
        -> SoakReport.Reload
    {
        let staged = model + ".staged"
        let expectRejection = kind == "truncated"
        let marker = expectRejection ? "model reload rejected" : "model reloaded"
        let before = daemon.count(marker)
        do {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
            try (expectRejection ? bytes.prefix(bytes.count / 2) : bytes).write(to: URL(fileURLWithPath: staged))
            guard rename(staged, model) == 0 else { throw SoakError("rename \(staged): errno \(errno)") }
        } catch {
            return SoakReport.Reload(at: t, kind: kind, outcome: "could not stage the file: \(error)", seconds: 0)
        }
        let started = MonotonicClock.now()
        daemon.signal(SIGHUP)
        let line = daemon.waitFor(marker, moreThan: before, timeout: 60)
        let seconds = Double(MonotonicClock.now() - started) * 1e-9
        guard line != nil else {
            return SoakReport.Reload(at: t, kind: kind, outcome: "no \"\(marker)\" within 60 s", seconds: seconds)
        }
        return SoakReport.Reload(
            at: t, kind: kind, outcome: expectRejection ? "rejected as expected" : "reloaded", seconds: seconds)
    }
}
