import XCTest
@testable import CMCStream

/// Interoperability with an independent client: the Python tools in tools/ (pyzmq, written from
/// docs/protocol.md) publish frames into the pipeline and read its label events.
final class PythonInteropTests: XCTestCase {
    private static let python = "/usr/bin/python3"
    private static let tools = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "tools")

    override func setUpWithError() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: Self.python)
        check.arguments = ["-c", "import zmq"]
        check.standardError = FileHandle.nullDevice
        do { try check.run() } catch {
            throw XCTSkip("\(Self.python) not found: install Debian python3-zmq to run this test")
        }
        check.waitUntilExit()
        if check.terminationStatus != 0 { throw XCTSkip("pyzmq missing: apt-get install python3-zmq to run this test") }
    }

    private func launch(_ script: String, _ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.tools.appendingPathComponent(script).path] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        return (process, out)
    }

    private func wait(_ process: Process, timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            XCTFail("\(process.arguments?.first ?? "") did not finish")
        }
        process.waitUntilExit()
    }

    func testPythonPublisherFeedsThePipelineAndPythonSubscriberReadsLabels() throws {
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .aligned // the publisher's sensor clocks are offset by 1000+ s
        config.smoothing = SmoothingPolicy(windows: 2, unknownThreshold: 0.5, topK: 3)
        config.segmentation.enabled = false // constant test signals: every window would be idle
        let logs = LogCapture()
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: logs.logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }

        let (subscriber, subscriberOut) = try launch(
            "zmq_subscriber.py", ["--endpoint", bound.labels[0], "--subject", "2", "--count", "3", "--timeout", "15"])
        let (publisher, _) = try launch(
            "zmq_publisher.py",
            [
                "--imu", bound.imu[0], "--skeleton", bound.skeleton[0], "--subjects", "1,2",
                "--seconds", "4", "--imu-channels", "3", "--joints", "4", "--coords", "3",
            ])
        wait(publisher, timeout: 15)
        XCTAssertEqual(publisher.terminationStatus, 0)
        wait(subscriber, timeout: 15)
        XCTAssertEqual(subscriber.terminationStatus, 0, "\(logs.lines.current.prefix(10))")

        let lines = String(decoding: subscriberOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(
            separator: "\n")
        XCTAssertEqual(lines.count, 3)
        for line in lines {
            let event = try JSONDecoder().decode(LabelEvent.self, from: Data(line.utf8))
            XCTAssertEqual(event.subject, 2)
            XCTAssertEqual(event.label, "wave")
            XCTAssertEqual(event.modalities, ["imu", "skeleton"])
            XCTAssertEqual(event.clock, "monotonic")
            XCTAssertLessThan(event.endToEndMilliseconds, 100)
        }
        let m = pipeline.metrics
        XCTAssertGreaterThan(m.received(.inertial).current, 50)
        XCTAssertEqual(m.lost(.inertial).current, 0)
        XCTAssertEqual(m.malformed(.inertial, "truncated").current, 0)
        XCTAssertGreaterThan(m.windowsInferred([.inertial, .skeleton]).current, 6)
    }

    /// The Python tools' `--curve-*` options against a CURVE pipeline: a listed sensor and consumer
    /// work end to end; an unlisted and a plain-text subscriber time out with nothing.
    func testPythonToolsAuthenticateWithCurve() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let dir = NSTemporaryDirectory() + "cmc-py-curve-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try CurveKeyFiles.generate(base: dir + "/cmcd")
        let sensor = try CurveKeyFiles.generate(base: dir + "/wrist")
        let consumer = try CurveKeyFiles.generate(base: dir + "/dashboard")
        let intruder = try CurveKeyFiles.generate(base: dir + "/intruder")
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0.5, topK: 3)
        config.segmentation.enabled = false // constant test signals: every window would be idle
        config.curve = PipelineCurve(
            keys: server.pair, sensors: CurveAllowList([sensor.pair.publicKey: "py-wrist"]),
            consumers: CurveAllowList([consumer.pair.publicKey: "py-dashboard"]))
        let logs = LogCapture()
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: logs.logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }

        let labels = ["--endpoint", bound.labels[0], "--subject", "2", "--timeout", "8"]
        // `=`: a Z85 key may start with "-", which argparse would take for an option.
        let (listed, listedOut) = try launch(
            "zmq_subscriber.py",
            labels + [
                "--count", "2", "--curve-server-key=" + server.pair.publicKey.z85,
                "--curve-secret-key", consumer.secretPath,
            ])
        let (unlisted, _) = try launch(
            "zmq_subscriber.py",
            labels + [
                "--count", "1", "--timeout", "3.5", "--curve-server-key", server.publicPath,
                "--curve-secret-key", intruder.secretPath,
            ])
        let (plain, _) = try launch("zmq_subscriber.py", labels + ["--count", "1", "--timeout", "3.5"])
        let (publisher, _) = try launch(
            "zmq_publisher.py",
            [
                "--imu", bound.imu[0], "--skeleton", bound.skeleton[0], "--subjects", "2",
                "--seconds", "3", "--imu-channels", "3", "--joints", "4", "--coords", "3",
                "--curve-server-key", server.publicPath, "--curve-secret-key", sensor.secretPath,
            ])
        wait(publisher, timeout: 10)
        XCTAssertEqual(publisher.terminationStatus, 0)
        wait(listed, timeout: 10)
        XCTAssertEqual(listed.terminationStatus, 0, "\(logs.lines.current.suffix(10))")
        let lines = String(decoding: listedOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(
            separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(
            try lines.map { try JSONDecoder().decode(LabelEvent.self, from: Data($0.utf8)).label }, ["wave", "wave"])
        for outsider in [unlisted, plain] {
            wait(outsider, timeout: 10)
            XCTAssertEqual(outsider.terminationStatus, 1, "must time out with nothing received")
        }
        XCTAssertGreaterThan(
            pipeline.metrics.curveClients(domain: PipelineCurve.framesDomain, accepted: true).current, 0)
        XCTAssertGreaterThan(
            pipeline.metrics.curveClients(domain: PipelineCurve.labelsDomain, accepted: false).current, 0)

        // A secret key file others may read is refused by the Python tools too (exit status 64, usage).
        chmod(consumer.secretPath, 0o644)
        let (loose, _) = try launch(
            "zmq_subscriber.py",
            labels + [
                "--count", "1", "--curve-server-key", server.publicPath,
                "--curve-secret-key", consumer.secretPath,
            ])
        wait(loose, timeout: 10)
        XCTAssertEqual(loose.terminationStatus, 64, "refused at startup, not a timeout")
    }

    func testPythonDecodesFramesEncodedBySwift() throws {
        let context = try ZMQContext()
        let pub = try ZMQSocket(context: context, type: .pub)
        try pub.bind("tcp://127.0.0.1:*")
        var frame = Frames.skeleton(subject: 5, sequence: 9, start: 1_000, samples: 2)
        frame.timing = .explicit([1_000, 34_000_000])
        frame.units = [.millimetres, .millimetres, .metres]
        let (subscriber, out) = try launch(
            "zmq_subscriber.py",
            ["--endpoint", try pub.lastEndpoint(), "--frames", "--subject", "5", "--count", "1", "--timeout", "10"])
        // Slow joiner: keep publishing until the subscriber has its message and exits.
        let deadline = Date().addingTimeInterval(10)
        while subscriber.isRunning && Date() < deadline {
            try pub.send(FrameCodec.message(frame))
            // filtered out: subject 55 ≠ 5
            try pub.send(FrameCodec.message(Frames.imu(subject: 55, sequence: 0, start: 0)))
            Thread.sleep(forTimeInterval: 0.02)
        }
        wait(subscriber, timeout: 1)
        XCTAssertEqual(subscriber.terminationStatus, 0)
        let json =
            try JSONSerialization.jsonObject(with: out.fileHandleForReading.readDataToEndOfFile()) as! [String: Any]
        XCTAssertEqual(json["type"] as? String, "skeleton")
        XCTAssertEqual(json["subject"] as? Int, 5)
        XCTAssertEqual(json["sequence"] as? Int, 9)
        XCTAssertEqual(json["joints"] as? Int, 4)
        XCTAssertEqual(json["units"] as? [Int], [7, 7, 6])
        XCTAssertEqual(json["timestamps_ns"] as? [Int], [1_000, 34_000_000])
        let values = (json["values"] as? [[Double]])?.flatMap { $0 }.map(Float.init)
        XCTAssertEqual(values, frame.values)
    }

    func testThePythonClientDecodesTheGoldenEvents() throws {
        let golden = Self.tools.deletingLastPathComponent().appendingPathComponent("Tests/Golden/events.json")
        let (process, out) = try launch("cmc_protocol.py", ["--check-golden", golden.path])
        wait(process, timeout: 20)
        XCTAssertEqual(process.terminationStatus, 0)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("4 golden events decode"), text)
    }

    private static let client = tools.deletingLastPathComponent().appendingPathComponent("clients/python")

    /// The Python client package (clients/python): its offline tests under every interpreter at hand, and
    /// its Publisher and Subscriber against a live pipeline.
    func testThePythonClientPackage() throws {
        for interpreter in ["/usr/bin/python3", "/usr/bin/env"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: interpreter)
            process.arguments =
                (interpreter == "/usr/bin/env" ? ["python3"] : [])
                + ["-m", "unittest", "discover", "-s", Self.client.appendingPathComponent("tests").path]
            let err = Pipe()
            process.standardError = err
            try process.run()
            wait(process, timeout: 60)
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(process.terminationStatus, 0, "\(interpreter): \(text)")
            XCTAssertTrue(text.contains("OK"), text)
        }

        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [.bind("tcp://127.0.0.1:*")],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0.5, topK: 3)
        config.segmentation.enabled = false // constant test signals: every window would be idle
        let pipeline = try StreamPipeline(config: config, classifier: TestClassifier(), logger: LogCapture().logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let script = Self.client.appendingPathComponent("tests/live_roundtrip.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [script.path, bound.imu[0], bound.skeleton[0], bound.labels[0], "2"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        wait(process, timeout: 20)
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(
            separator: "\n")
        XCTAssertEqual(process.terminationStatus, 0, "\(lines)")
        // TestClassifier names a window by its channel-0 mean: subject 2 sends 2 → "wave".
        XCTAssertTrue(
            lines.count >= 2 && lines.allSatisfy { $0.contains(#""label": "wave""#) && $0.contains(#""subject": 2"#) },
            "\(lines)")
    }

    /// A phone app's UDP lines and an LSL outlet, each through its bridge in the Python client, drive a
    /// live pipeline; the labels come back (through LSL markers in the LSL case). The LSL part needs pylsl
    /// for the python3 on PATH and is skipped without it.
    func testPhoneAndLSLBridgesDriveThePipeline() throws {
        var classifier = TestClassifier()
        classifier.spec.inertialChannels = 6
        classifier.spec.skeletonCoordinates = nil
        classifier.spec.skeletonJoints = nil
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0.5, topK: 3)
        config.segmentation.enabled = false // constant test signals: every window would be idle
        let pipeline = try StreamPipeline(config: config, classifier: classifier, logger: LogCapture().logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }
        let script = Self.client.appendingPathComponent("tests/live_bridges.py")
        var lslSkipped = false
        for (mode, subject) in [("udp", 2), ("lsl", 2)] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: mode == "udp" ? Self.python : "/usr/bin/env")
            process.arguments =
                (mode == "udp" ? [] : ["python3"]) + [script.path, mode, bound.imu[0], bound.labels[0], "\(subject)"]
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            wait(process, timeout: 30)
            let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(
                separator: "\n")
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if mode == "lsl" && process.terminationStatus == 77 {
                lslSkipped = true
                continue
            }
            XCTAssertEqual(process.terminationStatus, 0, "\(mode): \(lines) \(errors.suffix(600))")
            // TestClassifier names a window by its channel-0 mean: subject 2 sends 2 → "wave".
            XCTAssertTrue(
                lines.count >= 2
                    && lines.allSatisfy { $0.contains(#""label": "wave""#) && $0.contains(#""via": "\#(mode)""#) },
                "\(mode): \(lines)")
        }
        if lslSkipped {
            throw XCTSkip(
                "pylsl is not installed for python3 on PATH: the LSL bridge was not driven (the phone bridge was)")
        }
    }
}
