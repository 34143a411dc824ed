import XCTest
@testable import CMCData

final class MATReaderTests: XCTestCase {
    let values: [Double] = [1, -2.5, 3.25, 4, 1e-3, -6e7] // a 2×3 matrix, column-major

    func read(_ bytes: [UInt8]) throws -> MATFile { try MATFile(bytes: bytes, source: "test.mat") }

    func testUncompressedDouble() throws {
        let b = MATBuilder()
        let mat = try read(b.file([b.doubleMatrix("d_iner", dims: [2, 3], values)]))
        let a = try mat.array(named: "d_iner")
        XCTAssertEqual(a.dimensions, [2, 3])
        XCTAssertEqual(a.matClass, .double)
        XCTAssertEqual(a.values, values)
        XCTAssertEqual(a.element(1, 2), -6e7) // (row 1, col 2) = index 1 + 2*2
        // Row-major view: (2, 3) with rows [1, 3.25, 1e-3] and [-2.5, 4, -6e7].
        XCTAssertEqual(a.rowMajor().values, [1, 3.25, 1e-3, -2.5, 4, -6e7].map { Float($0) })
    }

    func testCompressedDoubleAndSeveralVariables() throws {
        let b = MATBuilder()
        let mat = try read(
            b.file([
                b.compressed(b.doubleMatrix("first", dims: [2, 3], values)),
                b.compressed(b.doubleMatrix("d_skel", dims: [1, 2], [7, 8])),
            ]))
        XCTAssertEqual(mat.variables.map(\.name), ["first", "d_skel"])
        XCTAssertEqual(try mat.array(named: "first").values, values)
        XCTAssertEqual(try mat.array(named: "d_skel").values, [7, 8])
        XCTAssertEqual(try mat.array().name, "first") // nil name = first variable
    }

    func testSmallElementTagsAndInt16Class() throws {
        let b = MATBuilder()
        // Name "x" and the 2 int16 values (4 bytes) both fit the packed small-element form.
        let m = b.matrix(
            name: "x", classCode: 10, dims: [1, 2], dataType: 3, data: b.int16s([-300, 7]),
            smallName: true, smallData: true)
        let a = try read(b.file([m])).array(named: "x")
        XCTAssertEqual(a.matClass, .int16)
        XCTAssertEqual(a.values, [-300, 7])
    }

    func testNarrowStorageTypeIsWidened() throws {
        // MATLAB stores a double array of small integers as miUINT8.
        let b = MATBuilder()
        let m = b.matrix(name: "d", classCode: 6, dims: [2, 2], dataType: 2, data: [0, 1, 200, 255])
        XCTAssertEqual(try read(b.file([m])).array(named: "d").values, [0, 1, 200, 255])
    }

    func testSingleClass() throws {
        let b = MATBuilder()
        let m = b.matrix(name: "s", classCode: 7, dims: [1, 3], dataType: 7, data: b.singles([0.5, -1.25, 3e10]))
        let a = try read(b.file([m])).array(named: "s")
        XCTAssertEqual(a.matClass, .single)
        XCTAssertEqual(a.values, [0.5, -1.25, Double(Float(3e10))])
    }

    func testBigEndianFile() throws {
        let b = MATBuilder(bigEndian: true)
        let mat = try read(
            b.file([
                b.compressed(b.doubleMatrix("d", dims: [2, 3], values)),
                b.matrix(
                    name: "i", classCode: 10, dims: [1, 2], dataType: 3,
                    data: b.int16s([-2, 513]), smallName: true, smallData: true),
            ]))
        XCTAssertTrue(mat.bigEndian)
        XCTAssertEqual(try mat.array(named: "d").values, values)
        XCTAssertEqual(try mat.array(named: "i").values, [-2, 513])
    }

    func testV73IsRejectedWithAClearReason() throws {
        var bytes = MATBuilder().header(
            text: "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: today HDF5 schema 1.00 .",
            version: 0x0200)
        bytes += [UInt8](repeating: 0, count: 384) + [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        XCTAssertThrowsError(try read(bytes)) { error in
            guard case DataError.unsupported(let file, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "test.mat")
            XCTAssertTrue(reason.contains("7.3"), reason)
        }
        // The version field alone also identifies v7.3.
        XCTAssertThrowsError(try read(MATBuilder().header(text: "MATLAB 5.0", version: 0x0200))) { error in
            XCTAssertTrue("\(error)".contains("7.3"))
        }
    }

    func testNotAMATFileIsRejected() {
        XCTAssertThrowsError(try read(Array("hello, I am a CSV file".utf8))) { error in
            guard case DataError.malformed = error else { return XCTFail("\(error)") }
        }
        var v4 = [UInt8](repeating: 0, count: 200)
        v4[0] = 0
        XCTAssertThrowsError(try read(v4)) { error in
            guard case DataError.unsupported = error else { return XCTFail("\(error)") }
        }
    }

    /// Every truncation of a valid file either throws or lacks the variable — never crashes.
    func testEveryTruncationFailsCleanly() throws {
        let b = MATBuilder()
        for bytes in [
            b.file([b.doubleMatrix("d_iner", dims: [2, 3], values)]),
            b.file([b.compressed(b.doubleMatrix("d_iner", dims: [2, 3], values))]),
        ] {
            for n in 0..<bytes.count {
                let prefix = Array(bytes.prefix(n))
                XCTAssertThrowsError(
                    try read(prefix).array(named: "d_iner"), "prefix \(n) of \(bytes.count) was accepted")
            }
            XCTAssertNoThrow(try read(bytes).array(named: "d_iner"))
        }
    }

    func testInconsistentLengthsAreMalformed() throws {
        let b = MATBuilder()
        // Dimensions say 2×3 but the data holds 5 doubles.
        let short = b.matrix(name: "d", classCode: 6, dims: [2, 3], dataType: 9, data: b.doubles([1, 2, 3, 4, 5]))
        XCTAssertThrowsError(try read(b.file([short]))) { XCTAssertTrue("\($0)".contains("malformed"), "\($0)") }
        // A corrupted compressed payload.
        var bad = b.file([b.compressed(b.doubleMatrix("d", dims: [2, 3], values))])
        bad[128 + 8] = 0x00 // break the zlib header
        XCTAssertThrowsError(try read(bad))
        // An element claiming more bytes than the file has.
        var huge = b.file([b.doubleMatrix("d", dims: [2, 3], values)])
        huge[132] = 0xFF
        huge[133] = 0xFF
        huge[134] = 0xFF
        XCTAssertThrowsError(try read(huge))
        // Absurd dimensions do not allocate.
        let absurd = b.matrix(name: "d", classCode: 6, dims: [Int32.max, Int32.max], dataType: 9, data: b.doubles([1]))
        XCTAssertThrowsError(try read(b.file([absurd])))
    }

    func testUnsupportedVariablesAreNamed() throws {
        let b = MATBuilder()
        let structArray = b.matrix(name: "meta", classCode: 2, dims: [1, 1], dataType: 1, data: [])
        let complex = b.matrix(
            name: "z", classCode: 6, dims: [1, 1], dataType: 9, data: b.doubles([1]), flagBits: 0x08)
        let mat = try read(b.file([structArray, complex, b.doubleMatrix("ok", dims: [1, 1], [3])]))
        XCTAssertEqual(try mat.array(named: "ok").values, [3])
        XCTAssertThrowsError(try mat.array(named: "meta")) { error in
            guard case DataError.unsupported(let file, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "test.mat")
            XCTAssertTrue(reason.contains("struct"), reason)
        }
        XCTAssertThrowsError(try mat.array(named: "z")) { XCTAssertTrue("\($0)".contains("complex"), "\($0)") }
        XCTAssertThrowsError(try mat.array(named: "absent")) {
            XCTAssertTrue("\($0)".contains("ok"), "lists what exists: \($0)")
        }
    }

    /// Files written by scipy.io.savemat (tools/make_mat_fixtures.py): real zlib, scipy's tag choices.
    func testScipyWrittenFiles() throws {
        struct Fixture: Decodable {
            struct Entry: Decodable {
                var name: String, file: String, variable: String
                var dims: [Int]?, values: [Double]?, `class`: String?, reject: String?, unsupported: [String: String]?
            }
            var entries: [Entry]
        }
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "mat_scipy", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertGreaterThanOrEqual(fixture.entries.count, 10)
        for e in fixture.entries {
            let bytes = [UInt8](try XCTUnwrap(Data(base64Encoded: e.file)))
            let mat = try MATFile(bytes: bytes, source: e.name)
            if let reject = e.reject {
                XCTAssertThrowsError(try mat.array(named: e.variable), e.name) {
                    XCTAssertTrue("\($0)".contains(reject), "\(e.name): \($0)")
                }
                continue
            }
            let a = try mat.array(named: e.variable)
            XCTAssertEqual(a.dimensions, e.dims, e.name)
            XCTAssertEqual(a.values, e.values, e.name)
            XCTAssertEqual("\(a.matClass)", e.class, e.name)
            for (name, reason) in e.unsupported ?? [:] {
                XCTAssertThrowsError(try mat.array(named: name)) {
                    XCTAssertTrue("\($0)".contains(reason), "\(e.name): \($0)")
                }
            }
        }
    }
}
