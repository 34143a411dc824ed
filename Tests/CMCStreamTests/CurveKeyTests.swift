import XCTest
@testable import CMCStream

/// CURVE keys, key files, allow-lists and the ZAP handler's answers (no sockets).
final class CurveKeyTests: XCTestCase {
    override func setUpWithError() throws {
        guard CurveKeys.isAvailable else { throw XCTSkip("libzmq without CURVE") }
    }

    private func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "cmc-curve-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    private func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func testKeyFilesRoundTripWithPrivateSecretKeys() throws {
        let dir = try directory()
        let made = try CurveKeyFiles.generate(base: dir + "/cmcd")
        XCTAssertEqual(made.publicPath, dir + "/cmcd.key")
        XCTAssertEqual(try mode(made.secretPath), 0o600)
        XCTAssertEqual(try mode(made.publicPath), 0o644)
        XCTAssertEqual(try CurveKeyFiles.readSecret(path: made.secretPath), made.pair)
        XCTAssertEqual(try CurveKeyFiles.readPublic(made.publicPath), made.pair.publicKey)
        XCTAssertEqual(
            try CurveKeyFiles.readPublic(made.pair.publicKey.z85), made.pair.publicKey, "Z85 text given inline")
        XCTAssertThrowsError(try CurveKeyFiles.generate(base: dir + "/cmcd"), "never overwrites a key") {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }

        // Group- or world-accessible secret keys are refused, and the error does not quote the key.
        let secretText = made.pair.secretKey.z85
        for bad in [0o640, 0o604, 0o660] {
            chmod(made.secretPath, mode_t(bad))
            XCTAssertThrowsError(try CurveKeyFiles.readSecret(path: made.secretPath)) { error in
                XCTAssertTrue("\(error)".contains("group or others"), "\(error)")
                XCTAssertTrue("\(error)".contains(String(bad, radix: 8)), "\(error)")
                XCTAssertFalse("\(error)".contains(secretText))
            }
        }
        chmod(made.secretPath, 0o400)
        XCTAssertNoThrow(
            try CurveKeyFiles.readSecret(path: made.secretPath), "read-only for the owner is fine (systemd credentials)"
        )

        // A public key file is not a secret key, and vice versa, without echoing contents.
        let wrong = dir + "/wrong.key_secret"
        try Data("# comment\nnot a key at all\n".utf8).write(to: URL(fileURLWithPath: wrong))
        chmod(wrong, 0o600)
        XCTAssertThrowsError(try CurveKeyFiles.readSecret(path: wrong)) {
            XCTAssertFalse("\($0)".contains("not a key at all"))
        }
        XCTAssertThrowsError(try CurveKeyFiles.readPublic(dir + "/missing.key"))

        // The two files swapped: a public key file made private still is no secret key (40 Z85 characters
        // either way), and a secret key file is never accepted where a public key belongs.
        chmod(made.publicPath, 0o600)
        XCTAssertThrowsError(try CurveKeyFiles.readSecret(path: made.publicPath)) {
            XCTAssertTrue("\($0)".contains("is a public key file"), "\($0)")
        }
        let renamed = dir + "/renamed"
        try FileManager.default.copyItem(atPath: made.publicPath, toPath: renamed)
        XCTAssertThrowsError(try CurveKeyFiles.readSecret(path: renamed), "known by its comment, whatever its name")
        XCTAssertThrowsError(try CurveKeyFiles.readPublic(made.secretPath)) { error in
            XCTAssertTrue("\(error)".contains("is a secret key file"), "\(error)")
            XCTAssertFalse("\(error)".contains(secretText))
        }
    }

    func testSecretKeysNeverPrint() throws {
        let pair = try CurveKeys.generate()
        let secret = pair.secretKey.z85
        var dumped = ""
        dump(pair, to: &dumped)
        for text in [
            "\(pair)", "\(pair.secretKey)", String(reflecting: pair), String(describing: [pair]), dumped,
            "\(PipelineCurve(keys: pair, sensors: CurveAllowList([:]), consumers: CurveAllowList([:])))",
        ] {
            XCTAssertFalse(text.contains(secret), text)
        }
        XCTAssertTrue("\(pair)".contains(pair.publicKey.z85), "the public key may show")
        XCTAssertEqual(pair.secretKey.publicKey, pair.publicKey)
        XCTAssertNil(CurvePublicKey(z85: String(secret.dropLast())))
        XCTAssertNil(CurvePublicKey(z85: String(repeating: "~", count: 40)), "outside the Z85 alphabet")
    }

    func testAllowListFileFormat() throws {
        let a = try CurveKeys.generate().publicKey
        let b = try CurveKeys.generate().publicKey
        let list = try CurveAllowList.parse("# sensors\n\n\(a.z85)  wrist 7\n\t\(b.z85)\n", source: "sensors.allow")
        XCTAssertEqual(list.count, 2)
        XCTAssertEqual(list.name(of: a), "wrist 7")
        XCTAssertEqual(list.name(of: b), String(b.z85.prefix(8)))
        XCTAssertThrowsError(try CurveAllowList.parse("\(a.z85)\nsecret-looking-garbage\n", source: "x.allow")) {
            error in
            XCTAssertTrue("\(error)".contains("x.allow: line 2"), "\(error)")
            XCTAssertFalse("\(error)".contains("garbage"), "lines are not echoed")
        }
    }

    func testAllowListsBindSensorsToSubjectsAndRefuseLooseFiles() throws {
        let a = try CurveKeys.generate().publicKey
        let b = try CurveKeys.generate().publicKey
        let c = try CurveKeys.generate().publicKey
        let list = try CurveAllowList.parse(
            "\(a.z85) wrist-7 subjects=7\n\(b.z85) subjects=1-3,9 kinect\n\(c.z85) any\n", source: "s.allow")
        XCTAssertEqual(list.name(of: b), "kinect")
        XCTAssertTrue(list.allows(user: "wrist-7", subject: 7))
        XCTAssertFalse(list.allows(user: "wrist-7", subject: 8))
        XCTAssertTrue(list.allows(user: "kinect", subject: 9))
        XCTAssertFalse(list.allows(user: "kinect", subject: 4))
        XCTAssertTrue(list.allows(user: "any", subject: 123_456), "no subjects= means any subject")
        XCTAssertThrowsError(try CurveAllowList.parse("\(a.z85) w subjects=7\n\(b.z85) w\n", source: "d.allow")) {
            XCTAssertTrue("\($0)".contains("used twice"), "\($0)")
        }
        XCTAssertThrowsError(try CurveAllowList.parse("\(a.z85) w subjects=9-1\n", source: "r.allow")) {
            XCTAssertTrue("\($0)".contains("line 1"), "\($0)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("allow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("sensors.allow")
        try Data("\(a.z85) wrist\n".utf8).write(to: file)
        XCTAssertEqual(chmod(file.path, 0o644), 0)
        XCTAssertEqual(try CurveAllowList.read(path: file.path).count, 1)
        XCTAssertEqual(chmod(file.path, 0o666), 0)
        XCTAssertThrowsError(try CurveAllowList.read(path: file.path)) {
            XCTAssertTrue("\($0)".contains("writable by group or others"), "\($0)")
        }
    }

    func testZAPAnswersPerRFC27() throws {
        let sensor = try CurveKeys.generate().publicKey
        let stranger = try CurveKeys.generate().publicKey
        let lists = ["frames": CurveAllowList([sensor: "wrist"])]
        func raw(_ key: CurvePublicKey) -> [UInt8] { key.bytes }
        func request(_ domain: String, _ mechanism: String, _ credentials: [[UInt8]]) -> [[UInt8]] {
            [
                Array("1.0".utf8), Array("7".utf8), Array(domain.utf8), Array("127.0.0.1".utf8), [],
                Array(mechanism.utf8),
            ] + credentials
        }
        func status(_ reply: [[UInt8]]) -> String { String(decoding: reply[2], as: UTF8.self) }

        XCTAssertEqual(CurvePublicKey(bytes: sensor.bytes), sensor)
        let ok = ZAPHandler.answer(request("frames", "CURVE", [raw(sensor)]), lists: lists)
        XCTAssertEqual(ok.reply.count, 6)
        XCTAssertEqual(ok.reply[0], Array("1.0".utf8))
        XCTAssertEqual(ok.reply[1], Array("7".utf8), "request id echoed")
        XCTAssertEqual(status(ok.reply), "200")
        XCTAssertEqual(String(decoding: ok.reply[4], as: UTF8.self), "wrist", "user id")
        XCTAssertEqual(ok.decision?.accepted, true)

        XCTAssertEqual(
            status(ZAPHandler.answer(request("frames", "CURVE", [raw(stranger)]), lists: lists).reply), "400")
        XCTAssertEqual(
            status(ZAPHandler.answer(request("labels", "CURVE", [raw(sensor)]), lists: lists).reply), "400",
            "listed for frames only")
        XCTAssertEqual(status(ZAPHandler.answer(request("frames", "NULL", []), lists: lists).reply), "400")
        XCTAssertEqual(status(ZAPHandler.answer(request("frames", "CURVE", [[1, 2, 3]]), lists: lists).reply), "500")
        var old = request("frames", "CURVE", [raw(sensor)])
        old[0] = Array("0.9".utf8)
        XCTAssertEqual(status(ZAPHandler.answer(old, lists: lists).reply), "500")
        XCTAssertNil(ZAPHandler.answer(old, lists: lists).decision)
    }
}
