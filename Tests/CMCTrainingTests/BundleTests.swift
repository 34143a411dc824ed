import CMCSafeTensors
import CMCCore
import CMCData
import CMCModel
import CMCTensor
@testable import CMCTraining
import Foundation
import XCTest

final class BundleTests: XCTestCase {
    func makeBundle(seed: UInt64 = 1) -> ModelBundle {
        var rng = SeededRNG(seed: seed)
        let ie = InertialEncoder(Synthetic.tinyInertial, rng: &rng)
        let se = SkeletonEncoder(Synthetic.tinySkeleton, rng: &rng)
        let info = Synthetic.info
        let meta = BundleMetadata(
            dataset: info, preprocessing: .utdMHAD, inertialEncoder: ie.config, skeletonEncoder: se.config,
            classifierHidden: 16, windowSeconds: 3, method: "test", trainingConfig: "{}",
            split: ["train": [1]], validation: ["accuracy": 0.5])
        return ModelBundle(
            metadata: meta, inertialEncoder: ie, skeletonEncoder: se,
            classifier: MultiModalClassifier(
                inertialFeatures: ie.outputSize, skeletonFeatures: se.outputSize, hidden: 16, classes: 3, rng: &rng),
            inertialClassifier: UnimodalClassifier(features: ie.outputSize, hidden: 16, classes: 3, rng: &rng),
            skeletonClassifier: UnimodalClassifier(features: se.outputSize, hidden: 16, classes: 3, rng: &rng))
    }

    func tmp(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cmc-bundle-\(getpid())-\(name)")
    }

    func testSaveLoadAndRecognize() throws {
        let bundle = makeBundle()
        let url = tmp("ok.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try bundle.save(to: url, dtype: .f32)
        let back = try ModelBundle.load(url)
        XCTAssertEqual(back.metadata, bundle.metadata)
        XCTAssertEqual(back.classifier.stateDict(), bundle.classifier.stateDict())
        var rng = SeededRNG(seed: 3)
        let samples = (0..<5).map { Synthetic.sample(label: $0 % 3, subject: 1, trial: $0, rng: &rng) }
        let r1 = Recognizer(bundle: bundle)
        let r2 = Recognizer(bundle: back)
        let batch = try r1.recognize(batch: samples.map { ($0.inertial, $0.skeleton) })
        for (i, s) in samples.enumerated() {
            let single = try r2.recognize(inertial: s.inertial, skeleton: s.skeleton)
            XCTAssertEqual(single.modalities, .both)
            XCTAssertEqual(single.probabilities.reduce(0, +), 1, accuracy: 1e-5)
            for (a, b) in zip(single.probabilities, batch[i].probabilities) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
        XCTAssertEqual(try r1.recognize(inertial: samples[0].inertial, skeleton: nil).modalities, .inertial)
        XCTAssertEqual(try r1.recognize(inertial: nil, skeleton: samples[0].skeleton).modalities, .skeleton)
        XCTAssertThrowsError(try r1.recognize(inertial: nil, skeleton: nil))
        XCTAssertThrowsError(try r1.recognize(inertial: DataArray(zeros: [5, 40]), skeleton: nil)) { e in
            XCTAssert("\(e)".contains("(6, T)"))
        }
    }

    func testFloat16BundleKeepsPredictions() throws {
        let bundle = makeBundle()
        let url = tmp("f16.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try bundle.save(to: url, dtype: .f16)
        let half = try ModelBundle.load(url)
        var rng = SeededRNG(seed: 8)
        let samples = (0..<6).map { Synthetic.sample(label: $0 % 3, subject: 1, trial: $0, rng: &rng) }
        let a = try Recognizer(bundle: bundle).recognize(batch: samples.map { ($0.inertial, $0.skeleton) })
        let b = try Recognizer(bundle: half).recognize(batch: samples.map { ($0.inertial, $0.skeleton) })
        for (x, y) in zip(a, b) {
            for (p, q) in zip(x.probabilities, y.probabilities) { XCTAssertEqual(p, q, accuracy: 2e-2) }
        }
    }

    func testTheInputLengthIsStoredOnceAndFollowsThePreprocessing() throws {
        var meta = makeBundle().metadata
        let json = try JSONEncoder().encode(meta)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertNil((object["inertialEncoder"] as? [String: Any])?["length"])
        XCTAssertNil((object["skeletonEncoder"] as? [String: Any])?["length"])
        XCTAssertEqual((object["preprocessing"] as? [String: Any])?["length"] as? Int, meta.preprocessing.length)
        // Metadata written before (the length also in the encoder objects) still reads.
        var legacy = object
        for key in ["inertialEncoder", "skeletonEncoder"] {
            var encoder = try XCTUnwrap(legacy[key] as? [String: Any])
            encoder["length"] = meta.preprocessing.length
            legacy[key] = encoder
        }
        let decoded = try JSONDecoder().decode(
            BundleMetadata.self, from: JSONSerialization.data(withJSONObject: legacy))
        XCTAssertEqual(decoded, meta)
        meta.preprocessing.length = 40
        XCTAssertEqual(meta.inertialEncoder.length, 40)
        XCTAssertEqual(meta.skeletonEncoder.length, 40)
    }

    func testBadBundlesAreRefusedWithTheReason() throws {
        let bundle = makeBundle()
        let url = tmp("bad.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try bundle.save(to: url)
        let good = try SafeTensors.read(url)
        func refused(_ file: SafeTensors.File, _ fragment: String, line: UInt = #line) throws {
            try SafeTensors.write(file, to: url)
            XCTAssertThrowsError(try ModelBundle.load(url), line: line) { e in
                XCTAssert("\(e)".contains(fragment), "\(e) should mention \(fragment)", line: line)
            }
        }
        var f = good
        f.tensors["classifier.head.weight"] = Tensor(shape: [4, 32])
        try refused(
            f,
            "classifier: classifier.head.weight has shape [4, 32], the model expects [3, 32]".replacingOccurrences(
                of: "classifier: classifier.", with: "classifier: "))
        f = good
        f.tensors["skeleton_encoder.conv5.bn.running_var"]!.storage[0] = .nan
        try refused(f, "conv5.bn.running_var contains NaN")
        f = good
        f.tensors.removeValue(forKey: "inertial_encoder.conv1.conv.weight")
        try refused(f, "missing conv1.conv.weight")
        f = good
        f.tensors["extra.thing"] = Tensor(scalar: 1)
        try refused(f, "unexpected tensor extra.thing")
        f = good
        var meta = bundle.metadata
        meta.dataset.classNames = ["a", "b"]
        f.metadata["cmc.bundle"] = String(decoding: try JSONEncoder().encode(meta), as: UTF8.self)
        try refused(f, "has shape [3, 32], the model expects [2, 32]")
        meta = bundle.metadata
        meta.version = 99
        f.metadata["cmc.bundle"] = String(decoding: try JSONEncoder().encode(meta), as: UTF8.self)
        try refused(f, "bundle version 99 is newer")
        f = good
        f.metadata = [:]
        try refused(f, "not a cmc model bundle")
        // Truncated file.
        let data = try Data(contentsOf: url)
        try SafeTensors.encode(good).prefix(data.count / 2).write(to: url)
        XCTAssertThrowsError(try ModelBundle.load(url)) { XCTAssert("\($0)".contains("model bundle refused")) }
    }
}
