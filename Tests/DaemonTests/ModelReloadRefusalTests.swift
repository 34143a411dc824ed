import CMCSafeTensors
import CMCModel
import CMCTensor
import Foundation
import XCTest

/// SIGHUP with each kind of broken bundle — truncated, wrong shapes, NaN weights, a class list that
/// does not match the classifier heads — is refused with a log line naming the problem, and the model
/// already loaded keeps serving.
final class ModelReloadRefusalTests: XCTestCase {
    func testBrokenBundlesAreRefusedOnReloadAndTheRunningModelKeepsServing() throws {
        let dir = try temporaryDirectory(self)
        let model = try TinyBundle.file(in: dir, classPrefix: "orig_")
        let good = try SafeTensors.read(model)
        let bytes = try Data(contentsOf: model)
        let daemon = try DaemonUnderTest.start(model: model)

        let matrix = try XCTUnwrap(
            good.tensors.keys.sorted().first { $0.hasPrefix("inertial_encoder.") && good.tensors[$0]!.shape.count == 2 }
        )
        var wrongShape = good
        let shape = good.tensors[matrix]!.shape
        wrongShape.tensors[matrix] = Tensor(shape: [shape[0] + 1, shape[1]], repeating: 0.01)
        var nan = good
        nan.tensors["classifier.head.weight"]!.storage[3] = .nan
        var classes = good
        var metadata = try JSONDecoder().decode(BundleMetadata.self, from: Data(good.metadata["cmc.bundle"]!.utf8))
        metadata.dataset.classNames.removeLast()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        classes.metadata["cmc.bundle"] = String(decoding: try encoder.encode(metadata), as: UTF8.self)

        // Each broken file replaces the model atomically, as a deployment would, then SIGHUP.
        let cases: [(what: String, write: () throws -> Void, expect: String)] = [
            (
                "truncated", { try Data(bytes.prefix(bytes.count / 2)).write(to: model, options: .atomic) },
                "not a valid safetensors file"
            ),
            (
                "wrong shape", { try SafeTensors.write(wrongShape, to: model) },
                "inertial_encoder: \(matrix.dropFirst("inertial_encoder.".count)) has shape [\(shape[0] + 1), \(shape[1])], the model expects \(shape)"
            ),
            (
                "NaN weights", { try SafeTensors.write(nan, to: model) },
                "classifier: head.weight contains NaN or infinite values"
            ),
            (
                "class list", { try SafeTensors.write(classes, to: model) },
                "class list mismatch: the metadata names 26 classes, the classifier heads output 27"
            ),
        ]
        for (n, c) in cases.enumerated() {
            try c.write()
            daemon.process.signal(SIGHUP)
            let rejected = {
                daemon.process.output.split(separator: "\n").filter { $0.contains("model reload rejected") }
            }
            let deadline = Date().addingTimeInterval(10)
            while rejected().count <= n && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            let line = try XCTUnwrap(
                rejected().dropFirst(n).first, "\(c.what): no rejection logged\n\(daemon.process.output)")
            XCTAssertTrue(line.contains(c.expect), "\(c.what): \(line)")
            XCTAssertTrue(line.contains(model.lastPathComponent), "\(c.what): the file is named: \(line)")
        }
        XCTAssertEqual(try daemon.metric("cmc_model_reload_failures_total"), 4)
        XCTAssertEqual(try daemon.metric("cmc_classifier_reloads_total"), 0, "nothing was swapped in")
        XCTAssertTrue(
            daemon.notify.assignments.last { $0.hasPrefix("STATUS=") }?.hasSuffix("last reload rejected") ?? false)

        // Still serving the model it started with.
        let labels = try LiveStreams.run(
            subjects: [5], seconds: 2.2, imu: daemon.imu, skeleton: daemon.skeleton, labels: daemon.labels)
        XCTAssertGreaterThanOrEqual(labels.count, 2, daemon.process.output)
        XCTAssertTrue(labels.allSatisfy { $0.label.hasPrefix("orig_") }, "\(labels.map(\.label))")
        daemon.stop()
    }
}
