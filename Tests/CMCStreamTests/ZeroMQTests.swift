import CMCCore
import CMCTestSupport
import XCTest
@testable import CMCStream

final class ZeroMQTests: XCTestCase {
    private func pubSub(_ address: String) throws {
        let context = try ZMQContext()
        let pub = try ZMQSocket(context: context, type: .pub)
        try pub.bind(address)
        let endpoint = try pub.lastEndpoint()
        let sub = try joinedSubscriber(context: context, connect: endpoint, prefix: "imu/1/") {
            try pub.send([Array("imu/1/".utf8), [0]])
        }
        // Prefix filtering on the first frame: the trailing "/" keeps subject 10 out of subject 1's feed.
        let big = [UInt8](repeating: 7, count: 1000) // > 33 bytes: heap-allocated message
        try pub.send([Array("imu/10/".utf8), [1]])
        try pub.send([Array("imu/1/".utf8), [2], big])
        try pub.send([Array("imu/1/".utf8), []])
        XCTAssertEqual(try ZMQPoll.readable([sub], timeoutMilliseconds: 2000), [true])
        XCTAssertEqual(try sub.receive(), [Array("imu/1/".utf8), [2], big])
        XCTAssertEqual(try sub.receive(), [Array("imu/1/".utf8), []])
        XCTAssertNil(try sub.receive(dontWait: true)) // EAGAIN is "nothing yet", not an error
    }

    func testPubSubOverInproc() throws { try pubSub("inproc://zmq-test-\(UUID().uuidString)") }

    func testPubSubOverLoopbackTCP() throws { try pubSub("tcp://127.0.0.1:*") }

    func testPollTimesOutAndErrorsCarryTheZMQMessage() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        try pull.bind("inproc://poll-timeout")
        let started = Date()
        XCTAssertEqual(try ZMQPoll.readable([pull], timeoutMilliseconds: 50), [false])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.04)
        XCTAssertThrowsError(try pull.bind("bogus://nowhere")) { error in
            let e = error as! ZMQError
            XCTAssertEqual(e.code, EPROTONOSUPPORT)
            XCTAssertTrue(e.description.contains("bind bogus://nowhere"))
            XCTAssertFalse(e.message.isEmpty)
        }
        pull.close()
        XCTAssertThrowsError(try pull.receive(dontWait: true)) // closed: ENOTSOCK, no crash
    }

    func testContextShutdownWakesABlockedReceiverWithETERM() throws {
        let context = try ZMQContext()
        let outcome = Locked<ZMQError?>(nil)
        let done = DispatchSemaphore(value: 0)
        let bound = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            do {
                let pull = try ZMQSocket(context: context, type: .pull) // owned by this thread
                try pull.bind("inproc://eterm")
                bound.signal()
                // Blocks until the shutdown, or fails at once with ETERM if the shutdown came first:
                // either way the call must end with ETERM.
                _ = try pull.receive()
            } catch let error as ZMQError { outcome.withLock { $0 = error } } catch {}
        }
        thread.start()
        XCTAssertEqual(bound.wait(timeout: .now() + 5), .success)
        context.shutdown()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(outcome.current?.isTerminated, true)
    }
}

final class SystemdNotifierTests: XCTestCase {
    /// A datagram socket standing in for systemd's notify socket; `@name` is an abstract socket.
    final class FakeSystemd {
        let fd: Int32
        let name: String
        init(abstract: Bool) throws {
            name =
                abstract
                ? "@cmc-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                : NSTemporaryDirectory() + "cmc-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var a = sockaddr_un()
            a.sun_family = sa_family_t(AF_UNIX)
            var path = Array(name.utf8)
            if abstract { path[0] = 0 }
            withUnsafeMutableBytes(of: &a.sun_path) { $0.copyBytes(from: path) }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
            let rc = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            guard rc == 0 else { throw NSError(domain: "bind", code: Int(errno)) }
            var tv = timeval(tv_sec: 0, tv_usec: 50_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        deinit {
            close(fd)
            if !name.hasPrefix("@") { unlink(name) }
        }

        /// Datagrams received within `seconds`.
        func receive(for seconds: Double, until stop: ([String]) -> Bool = { _ in false }) -> [String] {
            var got: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline && !stop(got) {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { got.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            }
            return got
        }
    }

    func testNotifyReachesAbstractAndPathSockets() throws {
        for abstract in [true, false] {
            let systemd = try FakeSystemd(abstract: abstract)
            let notifier = try XCTUnwrap(SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.name]))
            notifier.ready(status: "up")
            XCTAssertEqual(systemd.receive(for: 1) { !$0.isEmpty }, ["READY=1\nSTATUS=up"])
        }
    }

    func testEnvironmentParsing() {
        XCTAssertNil(SystemdNotifier(environment: [:]))
        XCTAssertEqual(
            SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "2000000"])?.watchdogInterval, 2)
        XCTAssertNil(
            SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"])?
                .watchdogInterval)
    }

    func testPipelineSendsReadyWatchdogPingsAndStopping() throws {
        let systemd = try FakeSystemd(abstract: true)
        let notifier = try XCTUnwrap(
            SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.name, "WATCHDOG_USEC": "200000"]))
        var config = PipelineConfig(
            imuEndpoints: [.bind("inproc://wd-imu")], skeletonEndpoints: [],
            labelEndpoints: [.bind("inproc://wd-labels")])
        config.tickSeconds = 0.02
        config.segmentation.enabled = false // constant test signals: every window would be idle
        let pipeline = try StreamPipeline(
            config: config, classifier: TestClassifier(), logger: LogCapture().logger(), notifier: notifier)
        try pipeline.start()
        let messages = systemd.receive(for: 2) { $0.filter { $0 == "WATCHDOG=1" }.count >= 3 }
        pipeline.stop()
        XCTAssertEqual(messages.first, "READY=1\nSTATUS=listening")
        XCTAssertGreaterThanOrEqual(messages.filter { $0 == "WATCHDOG=1" }.count, 3)
        XCTAssertEqual(systemd.receive(for: 1) { !$0.isEmpty }, ["STOPPING=1"])
    }

    func testWatchdogStarvesWhileAWindowIsStuckInInference() throws {
        let systemd = try FakeSystemd(abstract: true)
        let notifier = SystemdNotifier(socketPath: systemd.name, watchdogInterval: 0.1)
        let h = try PipelineHarness(classifier: TestClassifier(delaySeconds: 1.2), notifier: notifier) {
            $0.tickSeconds = 0.01
            $0.stallSeconds = 0.2
        }
        XCTAssertTrue(
            systemd.receive(for: 1) { $0.contains("WATCHDOG=1") }.contains("WATCHDOG=1"), "pings while healthy")
        try eventually(timeout: 5, "a window in inference") {
            try h.feed(subject: 1, seconds: 0.5, value: 1)
            return h.pipeline.metrics.windowsInFlight.current == 1
        }
        Thread.sleep(forTimeInterval: 0.3) // past stallSeconds
        _ = systemd.receive(for: 0.05) // drain pings sent before the stall was detected
        XCTAssertFalse(systemd.receive(for: 0.5).contains("WATCHDOG=1"), "no ping while the classifier is wedged")
        XCTAssertTrue(
            systemd.receive(for: 2) { $0.contains("WATCHDOG=1") }.contains("WATCHDOG=1"),
            "pings resume after it returns")
    }
}
