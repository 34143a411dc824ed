import CMCSafeTensors
import CMCTensor
import Foundation
import XCTest

/// One PyTorch parity fixture (see Tests/CMCTestSupport/Fixtures/README.md): inputs, parameters, outputs and gradients
/// of
/// `loss = sum(out * cot)`, computed in float64 by `tools/make_fixtures.py`.
public struct Fixture {
    public let name: String
    public let tensors: [String: Tensor]
    public let config: [String: Any]
    public let mode: String

    /// The URL of a fixture file shipped with the test support bundle.
    public static func url(_ name: String, _ ext: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures") else {
            throw XCTSkip("fixture \(name).\(ext) is missing from the test bundle")
        }
        return url
    }

    public init(_ name: String) throws {
        let file = try SafeTensors.read(try Self.url(name, "safetensors"))
        self.name = name
        tensors = file.tensors
        let json = file.metadata["config"] ?? "{}"
        config = (try JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        mode = file.metadata["mode"] ?? "train"
    }

    public subscript(_ key: String) -> Tensor {
        guard let t = tensors[key] else { fatalError("fixture \(name) has no tensor \(key)") }
        return t
    }

    public func int(_ key: String) -> Int { (config[key] as? NSNumber)?.intValue ?? 0 }
    public func ints(_ key: String) -> [Int] { (config[key] as? [NSNumber])?.map(\.intValue) ?? [] }
    public func float(_ key: String) -> Float { (config[key] as? NSNumber)?.floatValue ?? 0 }

    /// Inputs as gradient-tracking leaves.
    public func input(_ name: String) -> Variable { Variable(self["in." + name], requiresGrad: true) }

    /// The `p.*` tensors keyed by their state-dict names.
    public var stateDict: [String: Tensor] {
        var d: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix("p.") { d[String(k.dropFirst(2))] = v }
        return d
    }
}

/// Asserts max|a − b| ≤ rtol · max|b| (scale-aware: fixtures span many magnitudes).
public func assertClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-4, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, "\(what): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    var maxDiff: Float = 0
    var scale: Float = 0
    for i in 0..<actual.count {
        maxDiff = max(maxDiff, abs(actual.storage[i] - expected.storage[i]))
        scale = max(scale, abs(expected.storage[i]))
    }
    XCTAssert(
        maxDiff.isFinite && maxDiff <= rtol * max(scale, 1e-6),
        "\(what): max abs error \(maxDiff) vs scale \(scale) (relative \(maxDiff / max(scale, 1e-6)))",
        file: file, line: line)
}

extension XCTestCase {
    /// Runs `forward` on the fixture, backpropagates `cot`, and compares the output and the gradients
    /// of the given inputs with the fixture's.
    public func checkOp(
        _ name: String, inputs: [String], rtol: Float = 1e-4,
        _ forward: ([String: Variable], Fixture) -> Variable,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let f = try Fixture(name)
        var vars: [String: Variable] = [:]
        for i in inputs { vars[i] = f.input(i) }
        let out = forward(vars, f)
        assertClose(out.value, f["out"], rtol: rtol, "\(name) forward", file: file, line: line)
        out.backward(seed: f["cot"])
        for i in inputs {
            guard let g = vars[i]!.grad else {
                XCTFail("\(name): no gradient for \(i)", file: file, line: line)
                continue
            }
            assertClose(g, f["g.in." + i], rtol: rtol, "\(name) gradient of \(i)", file: file, line: line)
        }
    }

    /// Loads a module from the fixture's parameters, runs it in the fixture's mode and compares output,
    /// input gradients, parameter gradients and updated buffers.
    public func checkModule(
        _ name: String, module: Module, inputs: [String], rtol: Float = 1e-4,
        _ forward: ([Variable]) -> Variable,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let f = try Fixture(name)
        try module.load(stateDict: f.stateDict)
        module.train(f.mode == "train")
        let vars = inputs.map { f.input($0) }
        let out = forward(vars)
        assertClose(out.value, f["out"], rtol: rtol, "\(name) forward", file: file, line: line)
        out.backward(seed: f["cot"])
        for (i, v) in zip(inputs, vars) {
            assertClose(
                v.grad ?? Tensor(shape: v.shape), f["g.in." + i], rtol: rtol, "\(name) d/d\(i)", file: file, line: line)
        }
        let params = Dictionary(uniqueKeysWithValues: module.namedParameters())
        for (pname, p) in params {
            let expected = f["g.p." + pname]
            let actual = p.grad ?? Tensor(shape: p.shape)
            if expected.storage.allSatisfy({ abs($0) < 1e-9 }), f.mode == "train", pname.hasSuffix("bias") {
                // A bias feeding a train-mode BatchNorm has an exactly-zero gradient; compare absolutely
                // against the scale of the same layer's weight gradient.
                let wname = String(pname.dropLast(4)) + "weight"
                let scale = params[wname]?.grad?.storage.map(abs).max() ?? 1
                XCTAssert(
                    actual.storage.allSatisfy { abs($0) <= 1e-4 * max(scale, 1e-6) },
                    "\(name) d/d\(pname) should vanish", file: file, line: line)
            } else {
                assertClose(actual, expected, rtol: rtol, "\(name) d/d\(pname)", file: file, line: line)
            }
        }
        for (bname, b) in module.namedBuffers() {
            if let expected = f.tensors["after." + bname] {
                assertClose(b.value, expected, rtol: rtol, "\(name) buffer \(bname)", file: file, line: line)
            }
        }
    }
}
