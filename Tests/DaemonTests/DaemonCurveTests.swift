import CMCStream
import Foundation
import XCTest
import CMCDaemon

/// `cmcd` with CURVE, end to end with keys made by `cmcd keygen`: only listed sensors feed it, only
/// listed consumers (here `cmc-record`) read its labels, and no secret key ever reaches its output.
final class DaemonCurveTests: XCTestCase {
    func testOnlyListedClientsGetThroughAndSecretsNeverReachTheLogs() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let cmcd = try Binaries.require("cmcd")
        let recordBinary = try Binaries.require("cmc-record")
        let dir = try temporaryDirectory(self)
        func keygen(_ name: String) throws -> (pub: String, secret: String) {
            let base = dir.appendingPathComponent(name).path
            let made = try ChildProcess(cmcd, ["keygen", base])
            XCTAssertEqual(made.waitForExit(timeout: 20), 0, made.output)
            return (base + ".key", base + ".key_secret")
        }
        let server = try keygen("cmcd")
        let sensor = try keygen("replay")
        let recorder = try keygen("recorder")
        let intruder = try keygen("intruder")
        // The secrets' Z85 text, read from the files (the API never hands it out).
        let secrets = try [server, sensor, recorder, intruder].map { k in
            try XCTUnwrap(
                String(contentsOfFile: k.secret, encoding: .utf8).split(separator: "\n").first { !$0.hasPrefix("#") }
                    .map(String.init))
        }
        XCTAssertTrue(secrets.allSatisfy { $0.count == 40 })
        let serverKey = try CurveKeyFiles.readPublic(server.pub)
        func publicKey(_ k: (pub: String, secret: String)) throws -> String { try CurveKeyFiles.readPublic(k.pub).z85 }
        let sensors = dir.appendingPathComponent("sensors.allow")
        let consumers = dir.appendingPathComponent("consumers.allow")
        try Data("# may publish frames\n\(try publicKey(sensor)) replay\n".utf8).write(to: sensors)
        try Data("\(try publicKey(sensor)) replay\n\(try publicKey(recorder)) recorder\n".utf8).write(to: consumers)
        let curveArguments = [
            "--curve-secret-key", server.secret, "--curve-sensors", sensors.path, "--curve-consumers", consumers.path,
        ]
        let model = try TinyBundle.file(in: dir)

        // A secret key others could read is refused at startup, naming the file and the fix.
        let loose = dir.appendingPathComponent("loose.key_secret").path
        try FileManager.default.copyItem(atPath: server.secret, toPath: loose)
        chmod(loose, 0o644)
        let refused = try ChildProcess(
            cmcd,
            [
                "--model", model.path, "--no-metrics", "--imu", "bind:tcp://127.0.0.1:*", "--skeleton",
                "bind:tcp://127.0.0.1:*",
                "--labels", "bind:tcp://127.0.0.1:*", "--curve-secret-key", loose, "--curve-sensors", sensors.path,
                "--curve-consumers", consumers.path,
            ])
        XCTAssertEqual(refused.waitForExit(timeout: 20), Daemon.configurationError, refused.output)
        XCTAssertTrue(
            refused.output.contains("loose.key_secret") && refused.output.contains("chmod 600"), refused.output)

        let daemon = try DaemonUnderTest.start(model: model, extra: curveArguments + ["--log-level", "debug"])
        XCTAssertEqual(daemon.curveKey, serverKey.z85, "STATUS= announces the public key")
        let labelRecorder = try ChildProcess(
            recordBinary,
            [
                dir.appendingPathComponent("labels.cmcrec").path, "--labels", "connect:" + daemon.labels,
                "--curve-server-key", server.pub, "--curve-secret-key", recorder.secret,
            ])
        XCTAssertTrue(labelRecorder.waitForOutput("info recording ", timeout: 10), labelRecorder.output)

        // An unlisted CURVE sensor and a plain-text one: not one frame processed, no labels, refusals counted.
        let stranger = CurveClient(serverKey: serverKey, keys: try CurveKeyFiles.readSecret(path: intruder.secret))
        XCTAssertEqual(
            try LiveStreams.run(
                subjects: [9], seconds: 1.2, imu: daemon.imu, skeleton: daemon.skeleton, labels: daemon.labels,
                curve: stranger
            ).count, 0)
        XCTAssertEqual(
            try LiveStreams.run(
                subjects: [8], seconds: 1.2, imu: daemon.imu, skeleton: daemon.skeleton, labels: daemon.labels
            ).count, 0)
        XCTAssertEqual(try daemon.metric(#"cmc_frames_received_total{stream="imu"}"#), 0)
        XCTAssertEqual(try daemon.metric(#"cmc_frames_received_total{stream="skeleton"}"#), 0)
        XCTAssertGreaterThanOrEqual(
            try daemon.metric(#"cmc_curve_clients_total{domain="frames",outcome="refused"}"#) ?? 0, 2)
        // The plain-text sensor fails the handshake: as a mechanism mismatch, or as a bare disconnect
        // when the client hangs up first (libzmq reports whichever side noticed).
        let plainFailures = try [
            #"cmc_handshakes_total{socket="imu",outcome="failed_protocol"}"#,
            #"cmc_handshakes_total{socket="imu",outcome="failed_other"}"#,
        ]
        .map { try daemon.metric($0) ?? 0 }.reduce(0, +)
        let scrape = try daemon.scrape()
        XCTAssertGreaterThanOrEqual(plainFailures, 1, scrape)
        XCTAssertTrue(daemon.process.output.contains("CURVE client refused"), daemon.process.output)

        // The listed sensor: labels end to end, for itself and for the listed recorder.
        let listed = CurveClient(serverKey: serverKey, keys: try CurveKeyFiles.readSecret(path: sensor.secret))
        let events = try LiveStreams.run(
            subjects: [1], seconds: 2.2, imu: daemon.imu, skeleton: daemon.skeleton, labels: daemon.labels,
            curve: listed,
            includeIdle: true)
        XCTAssertGreaterThanOrEqual(events.count, 2, daemon.process.output)
        labelRecorder.signal(SIGINT)
        XCTAssertEqual(labelRecorder.waitForExit(timeout: 10), 0, labelRecorder.output)
        let recorded = try RecordReader.readAll(path: dir.appendingPathComponent("labels.cmcrec").path).messages
        let recordedLabels = recorded.filter { $0.parts.first?.starts(with: Array(Topic.allLabels.utf8)) ?? false }
        XCTAssertEqual(recordedLabels.count, events.count, "the listed recorder got every label event")

        let printed = try ChildProcess(cmcd, ["--print-config"] + curveArguments)
        XCTAssertEqual(printed.waitForExit(timeout: 20), 0)
        daemon.stop()
        // Keys are referenced by path: no secret in any output, whatever the log level.
        let outputs = [daemon.process.output, labelRecorder.output, refused.output, printed.output]
        XCTAssertTrue(printed.output.contains(server.secret), printed.output)
        for (secret, output) in secrets.flatMap({ s in outputs.map { (s, $0) } }) {
            XCTAssertFalse(output.contains(secret), "a secret key appeared in the output")
        }
    }
}

/// `cmc-proxy` as the CURVE server of everyone around it, and `cmcd` behind it as a CURVE client.
final class ProxyCurveTests: XCTestCase {
    func testADaemonBehindACurveProxyServesAListedSensor() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let proxyBinary = try Binaries.require("cmc-proxy")
        let dir = try temporaryDirectory(self)
        func keys(_ name: String) throws -> (pair: CurveKeyPair, secret: String, pub: String) {
            let made = try CurveKeyFiles.generate(base: dir.appendingPathComponent(name).path)
            return (made.pair, made.secretPath, made.publicPath)
        }
        let proxyKeys = try keys("proxy")
        let daemonKeys = try keys("cmcd")
        let sensor = try keys("sensor")
        // Publishers: the sensor and the daemon's label socket; subscribers: the daemon's frame sockets and
        // the sensor's label collector.
        let allow = "\(sensor.pair.publicKey.z85) sensor\n\(daemonKeys.pair.publicKey.z85) cmcd-a\n"
        for name in ["publishers.allow", "subscribers.allow"] {
            try Data(allow.utf8).write(to: dir.appendingPathComponent(name))
        }
        let notify = try NotifySocket()
        let proxy = try ChildProcess(
            proxyBinary,
            [
                "--frontend", "bind:tcp://127.0.0.1:*", "--backend", "bind:tcp://127.0.0.1:*",
                "--curve-secret-key", proxyKeys.secret,
                "--curve-publishers", dir.appendingPathComponent("publishers.allow").path,
                "--curve-subscribers", dir.appendingPathComponent("subscribers.allow").path,
            ],
            environment: ["NOTIFY_SOCKET": notify.path])
        let status = try XCTUnwrap(notify.wait(for: "STATUS=proxying", timeout: 20), proxy.output)
        XCTAssertEqual(statusField(status, "curve"), proxyKeys.pair.publicKey.z85)
        let frontend = try XCTUnwrap(statusField(status, "frontend"))
        let backend = try XCTUnwrap(statusField(status, "backend"))

        // All of the daemon's sockets connect, so with the proxy's key they are CURVE clients: no allow-lists.
        let daemon = try DaemonUnderTest.start(
            model: try TinyBundle.file(in: dir),
            endpoints: [
                "--imu", "connect:" + backend, "--skeleton", "connect:" + backend, "--labels", "connect:" + frontend,
            ],
            extra: ["--curve-secret-key", daemonKeys.secret, "--curve-server-key", proxyKeys.pub])
        let client = CurveClient(serverKey: proxyKeys.pair.publicKey, keys: sensor.pair)
        let events = try LiveStreams.run(
            subjects: [3], seconds: 2.2, imu: frontend, skeleton: frontend, labels: backend, curve: client)
        XCTAssertGreaterThanOrEqual(events.count, 2, daemon.process.output + proxy.output)
        daemon.stop()
        proxy.signal(SIGTERM)
        XCTAssertEqual(proxy.waitForExit(timeout: 10), 0, proxy.output)
        XCTAssertFalse(proxy.output.contains("CURVE client refused"), proxy.output)
    }
}
