import CMCSafeTensors
import CMCTensor
import Foundation
import CMCTestSupport
import XCTest

final class SafeTensorsTests: XCTestCase {
    let a = Tensor(shape: [2, 3], storage: (0..<6).map { Float($0) * 0.5 - 1 })
    let b = Tensor(shape: [4], storage: [0.5, -2, 65504, 0.0999755859375])

    func testRoundTripF32AndF16() throws {
        let file = SafeTensors.File(tensors: ["a": a, "b": b, "scalar": Tensor(scalar: 3)], metadata: ["k": "v"])
        for dtype in [SafeTensors.DType.f32, .f16] {
            let back = try SafeTensors.decode(SafeTensors.encode(file, dtype: dtype))
            XCTAssertEqual(back.metadata, ["k": "v"])
            XCTAssertEqual(back.tensors["a"], a) // exactly representable in both
            XCTAssertEqual(back.tensors["b"], b)
            XCTAssertEqual(back.tensors["scalar"]?.shape, [])
        }
        // F16 rounds to the nearest half: 0.1 becomes 0.0999755859375.
        let rounded = try SafeTensors.decode(
            SafeTensors.encode(.init(tensors: ["x": Tensor(shape: [1], storage: [0.1])]), dtype: .f16))
        XCTAssertEqual(rounded.tensors["x"]!.storage[0], 0.0999755859375)
    }

    /// A file written by Python's official `safetensors` package (tools/safetensors_interop.py).
    func testReadsFileWrittenByPythonSafetensors() throws {
        let url = try Fixture.url("interop_python", "safetensors")
        let f = try SafeTensors.read(url)
        XCTAssertEqual(f.tensors["a"], a)
        XCTAssertEqual(f.tensors["b"], b)
        XCTAssertEqual(f.metadata["note"], "interop")
    }

    /// The reverse direction, when Python's safetensors is installed (pip install safetensors numpy).
    func testPythonSafetensorsReadsOurFile() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../tools/safetensors_interop.py"
        ).standardized
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import safetensors, numpy"]
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            throw XCTSkip("python3 with the safetensors package is not installed (pip install safetensors numpy)")
        }
        // One file per storage type: the script checks F32 "a" and F16 "b" against its own values.
        for (name, tensor, dtype) in [("a", a, SafeTensors.DType.f32), ("b", b, .f16)] {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "cmc-interop-\(getpid())-\(name).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try SafeTensors.write(
                .init(tensors: [name: tensor], metadata: ["note": "interop", "producer": "cmc"]), to: url, dtype: dtype)
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = ["python3", script.path, "check", url.path]
            check.standardOutput = FileHandle.nullDevice
            try check.run()
            check.waitUntilExit()
            XCTAssertEqual(check.terminationStatus, 0, "Python's safetensors rejected our \(dtype) file")
        }
    }

    func testMalformedFilesAreRefusedWithReasons() throws {
        let good = SafeTensors.encode(.init(tensors: ["a": a, "b": b]))
        func refuses(_ data: Data, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try SafeTensors.decode(data, source: "bad.safetensors"), file: file, line: line) { e in
                XCTAssert("\(e)".contains(fragment), "\(e) should mention \(fragment)", file: file, line: line)
                XCTAssert("\(e)".contains("bad.safetensors"), file: file, line: line)
            }
        }
        refuses(Data([1, 2, 3]), "shorter than the 8-byte header")
        refuses(good.prefix(good.count - 4), "outside") // truncated data section
        for cut in stride(from: 0, to: good.count - 1, by: 7) { // every truncation refused, never a crash
            XCTAssertThrowsError(try SafeTensors.decode(good.prefix(cut)))
        }
        var hugeHeader = good
        hugeHeader.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0])
        refuses(hugeHeader, "header length")
        func withHeader(_ json: String, data: Int) -> Data {
            var d = Data()
            var n = UInt64(json.utf8.count).littleEndian
            withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
            d.append(Data(json.utf8))
            d.append(Data(count: data))
            return d
        }
        refuses(withHeader("[1,2]", data: 0), "not a JSON object")
        refuses(
            withHeader(#"{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: 8), "unsupported dtype I64")
        refuses(withHeader(#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8), "needs 12 bytes")
        refuses(
            withHeader(
                #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                data: 8), "overlaps")
        refuses(withHeader(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: 8), "trailing bytes")
        refuses(withHeader(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,40]}}"#, data: 8), "outside")
        refuses(withHeader(#"{"__metadata__":{"k":1}}"#, data: 0), "not a string")
        refuses(withHeader(#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: 4), "invalid shape")
    }
}
