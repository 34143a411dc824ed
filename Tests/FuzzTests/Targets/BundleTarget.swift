import CMCSafeTensors
import CMCCore
import CMCData
import CMCModel
import CMCTensor
import Foundation

/// The model-bundle loader: safetensors container, the `cmc.bundle` metadata JSON, its consistency
/// checks, then `ModelBundle.load` building the networks the metadata describes and loading weights.
enum BundleTarget: FuzzTarget {
    static let name = "bundle"

    static func run(_ bytes: [UInt8]) -> String? {
        guard let file = try? SafeTensors.decode(Data(bytes), source: "fuzz") else { return nil }
        guard let json = file.metadata["cmc.bundle"],
            let metadata = try? JSONDecoder().decode(BundleMetadata.self, from: Data(json.utf8))
        else { return nil }
        guard metadata.problems().isEmpty,
            let path = ScratchFile.write(bytes, tag: "bundle.safetensors")
        else { return nil }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let bundle = try? ModelBundle.load(URL(fileURLWithPath: path)) else { return nil }
        if bundle.metadata != metadata { return "loaded metadata differs from the decoded metadata" }
        // Every tensor of the file went into exactly one module with its own shape.
        var loaded: [String: Tensor] = [:]
        for (prefix, m) in [
            ("inertial_encoder", bundle.inertialEncoder as Module), ("skeleton_encoder", bundle.skeletonEncoder),
            ("classifier", bundle.classifier), ("inertial_classifier", bundle.inertialClassifier),
            ("skeleton_classifier", bundle.skeletonClassifier),
        ] {
            for (k, v) in m.stateDict() { loaded[prefix + "." + k] = v }
        }
        guard loaded.keys.sorted() == file.tensors.keys.sorted() else {
            return "loaded tensor names differ from the file's"
        }
        for (k, v) in file.tensors where loaded[k]!.shape != v.shape { return "tensor \(k) loaded with another shape" }
        return nil
    }

    /// A tiny but complete bundle (f16 keeps it small), as the trainer writes it.
    static func seeds() -> [[UInt8]] {
        var rng = SeededRNG(seed: 1)
        // Length 50 as in training: the smallest the skeleton encoder's four conv+pool stages accept.
        var ic = InertialEncoder.Config()
        ic.channels = [2, 2, 4]
        ic.feedForward = 4
        ic.dropout = 0
        var sc = SkeletonEncoder.Config()
        sc.channels = [2, 32, 2, 2, 2, 2]
        var info = UTDMHAD.info
        info.classNames = ["a", "b"]
        info.imuPlacementByClass = ["wrist", "wrist"]
        let ie = InertialEncoder(ic, rng: &rng)
        let se = SkeletonEncoder(sc, rng: &rng)
        let meta = BundleMetadata(
            dataset: info, preprocessing: .utdMHAD,
            inertialEncoder: ic, skeletonEncoder: sc, classifierHidden: 4, windowSeconds: 3,
            method: "fuzz-seed", trainingConfig: "{}", split: ["train": [1]], validation: ["accuracy": 0.5])
        let bundle = ModelBundle(
            metadata: meta, inertialEncoder: ie, skeletonEncoder: se,
            classifier: MultiModalClassifier(
                inertialFeatures: ie.outputSize, skeletonFeatures: se.outputSize, hidden: 4, classes: 2, rng: &rng),
            inertialClassifier: UnimodalClassifier(features: ie.outputSize, hidden: 4, classes: 2, rng: &rng),
            skeletonClassifier: UnimodalClassifier(features: se.outputSize, hidden: 4, classes: 2, rng: &rng))
        let path = ScratchFile.path("seed-bundle.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard (try? bundle.save(to: URL(fileURLWithPath: path), dtype: .f16)) != nil,
            let data = FileManager.default.contents(atPath: path)
        else { return [] }
        return [[UInt8](data)]
    }
}
