import CMCDaemon
import CMCHarness
import CMCStream
import XCTest

/// The CURVE keys of the daemon's configuration: which sockets are servers (and need an allow-list),
/// and that key files are read (and refused) at startup, naming the file.
final class DaemonCurveConfigTests: XCTestCase {
    func testCurveKeysAreValidatedByTheRoleOfEachSocket() throws {
        var c = DaemonConfig()
        c.curveSensors = "sensors.allow"
        XCTAssertEqual(c.problems(), ["curve_sensors: needs curve_secret_key (this daemon's own key)"])

        c = DaemonConfig()
        c.curveSecretKey = "cmcd.key_secret"
        XCTAssertEqual(
            c.problems().count, 2, "binding sockets are servers: both allow-lists are required: \(c.problems())")
        c.curveSensors = "sensors.allow"
        c.curveConsumers = "consumers.allow"
        XCTAssertEqual(c.problems(), [])

        // Behind a CURVE proxy every socket connects: all clients, no allow-list needed.
        c = DaemonConfig()
        c.curveSecretKey = "cmcd.key_secret"
        c.curveServerKey = "proxy.key"
        c.imu = ["connect:tcp://127.0.0.1:5561"]
        c.skeleton = ["connect:tcp://127.0.0.1:5561"]
        c.labels = ["connect:tcp://127.0.0.1:5560"]
        XCTAssertEqual(c.problems(), [])
        c.labels = ["connect:tcp://127.0.0.1:5560", "bind:tcp://127.0.0.1:5557"]
        XCTAssertTrue(c.problems().contains { $0.hasPrefix("labels: mixes bind: and connect:") }, "\(c.problems())")
        XCTAssertTrue(c.problems().contains { $0.hasPrefix("curve_consumers: required") }, "\(c.problems())")
    }

    func testKeyFilesAreReadAtStartupAndNamedWhenUnusable() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
        let dir = try temporaryDirectory(self)
        let server = try CurveKeyFiles.generate(base: dir.appendingPathComponent("cmcd").path)
        let sensor = try CurveKeyFiles.generate(base: dir.appendingPathComponent("sensor").path)
        let allow = dir.appendingPathComponent("clients.allow")
        try Data("\(sensor.pair.publicKey.z85) wrist\n".utf8).write(to: allow)
        var c = DaemonConfig()
        c.curveSecretKey = server.secretPath
        c.curveSensors = allow.path
        c.curveConsumers = allow.path
        let curve = try XCTUnwrap(try c.loadCurve())
        XCTAssertEqual(curve.keys, server.pair)
        XCTAssertEqual(curve.sensors.name(of: sensor.pair.publicKey), "wrist")
        XCTAssertNil(try DaemonConfig().loadCurve(), "off by default")

        // The JSON file form, as --print-config shows it: paths only.
        XCTAssertTrue(c.json().contains("\"curve_secret_key\" : \"\(server.secretPath)\""), c.json())
        chmod(server.secretPath, 0o640)
        XCTAssertThrowsError(try c.loadCurve()) {
            XCTAssertTrue("\($0)".hasPrefix(server.secretPath + ": secret key file is accessible"), "\($0)")
        }
        chmod(server.secretPath, 0o600)
        c.curveSensors = dir.appendingPathComponent("missing.allow").path
        XCTAssertThrowsError(try c.loadCurve()) { XCTAssertTrue("\($0)".contains("missing.allow"), "\($0)") }
    }
}
