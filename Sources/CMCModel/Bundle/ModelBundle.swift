import CMCSafeTensors
import CMCCore
import CMCData
import CMCTensor
import Foundation

/// A deployable model: both encoders, the fused classifier, one fallback classifier per modality and
/// the metadata that says how to feed them — all in one safetensors file.
///
/// Tensor names are prefixed by part: `inertial_encoder.…`, `skeleton_encoder.…`, `classifier.…`,
/// `inertial_classifier.…`, `skeleton_classifier.…` (PyTorch state-dict names below the prefix).
public final class ModelBundle: @unchecked Sendable {
    // @unchecked: the modules are classes, but a loaded bundle is used only in eval mode, whose
    // forward pass reads the weights; nothing writes them after loading. The one thing it writes is
    // the BatchNorm-folded weight cache of each convolution, which is behind its own `Mutex`.
    public let metadata: BundleMetadata
    public let inertialEncoder: InertialEncoder
    public let skeletonEncoder: SkeletonEncoder
    public let classifier: MultiModalClassifier
    public let inertialClassifier: UnimodalClassifier
    public let skeletonClassifier: UnimodalClassifier

    /// Reduced precision for inference: every linear and convolution layer of the encoders and classifiers
    /// multiplies in int8 from now on (`Module.quantizeForInference()`; `Recognizer(bundle:precision:)`).
    /// Call before the bundle is shared between threads.
    public func quantizeForInference() {
        for m: Module in [inertialEncoder, skeletonEncoder, classifier, inertialClassifier, skeletonClassifier] {
            m.quantizeForInference()
        }
    }

    public init(
        metadata: BundleMetadata, inertialEncoder: InertialEncoder, skeletonEncoder: SkeletonEncoder,
        classifier: MultiModalClassifier, inertialClassifier: UnimodalClassifier, skeletonClassifier: UnimodalClassifier
    ) {
        self.metadata = metadata
        self.inertialEncoder = inertialEncoder
        self.skeletonEncoder = skeletonEncoder
        self.classifier = classifier
        self.inertialClassifier = inertialClassifier
        self.skeletonClassifier = skeletonClassifier
        for m in parts.map(\.1) {
            m.eval()
            m.freeze()
        }
    }

    /// The same networks under other metadata (new scores, a calibration): the modules are shared.
    public func replacingMetadata(_ metadata: BundleMetadata) -> ModelBundle {
        ModelBundle(
            metadata: metadata, inertialEncoder: inertialEncoder, skeletonEncoder: skeletonEncoder,
            classifier: classifier,
            inertialClassifier: inertialClassifier, skeletonClassifier: skeletonClassifier)
    }

    /// State-dict prefix of the fused classifier.
    static let fusedHeadPrefix = "classifier"

    var parts: [(String, Module)] {
        [
            ("inertial_encoder", inertialEncoder), ("skeleton_encoder", skeletonEncoder),
            (Self.fusedHeadPrefix, classifier),
            ("inertial_classifier", inertialClassifier), ("skeleton_classifier", skeletonClassifier),
        ]
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let source: String, problems: [String]
        public init(source: String, problems: [String]) {
            self.source = source
            self.problems = problems
        }
        public var description: String {
            "\(source): model bundle refused: " + problems.prefix(8).joined(separator: "; ")
                + (problems.count > 8 ? "; …" : "")
        }
    }

    /// Writes the bundle atomically; `dtype: .f16` halves the size.
    public func save(to url: URL, dtype: SafeTensors.DType = .f32) throws {
        var tensors: [String: Tensor] = [:]
        for (prefix, m) in parts { for (k, v) in m.stateDict() { tensors[prefix + "." + k] = v } }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let meta = String(decoding: try enc.encode(metadata), as: UTF8.self)
        try SafeTensors.write(SafeTensors.File(tensors: tensors, metadata: ["cmc.bundle": meta]), to: url, dtype: dtype)
    }

    /// Loads and checks a bundle: metadata consistency, every tensor present with the right shape, no
    /// NaN/Inf, nothing extra. Throws `LoadError` naming every problem; never returns a partial model.
    public static func load(_ url: URL) throws -> ModelBundle {
        let file: SafeTensors.File
        do { file = try SafeTensors.read(url) } catch { throw LoadError(source: url.path, problems: ["\(error)"]) }
        guard let json = file.metadata["cmc.bundle"] else {
            throw LoadError(source: url.path, problems: ["no cmc.bundle metadata: not a cmc model bundle"])
        }
        let metadata: BundleMetadata
        do { metadata = try JSONDecoder().decode(BundleMetadata.self, from: Data(json.utf8)) } catch {
            throw LoadError(source: url.path, problems: ["cmc.bundle metadata does not decode: \(error)"])
        }
        var problems = metadata.problems()
        guard problems.isEmpty else { throw LoadError(source: url.path, problems: problems) }
        var rng = SeededRNG(seed: 0)
        let classes = metadata.dataset.classNames.count
        let ie = InertialEncoder(metadata.inertialEncoder, rng: &rng)
        let se = SkeletonEncoder(metadata.skeletonEncoder, rng: &rng)
        let h = metadata.classifierHidden
        let bundle = ModelBundle(
            metadata: metadata, inertialEncoder: ie, skeletonEncoder: se,
            classifier: MultiModalClassifier(
                inertialFeatures: ie.outputSize, skeletonFeatures: se.outputSize,
                hidden: h, classes: classes, rng: &rng),
            inertialClassifier: UnimodalClassifier(features: ie.outputSize, hidden: h, classes: classes, rng: &rng),
            skeletonClassifier: UnimodalClassifier(features: se.outputSize, hidden: h, classes: classes, rng: &rng))
        var known = Set<String>()
        for (prefix, m) in bundle.parts {
            var part: [String: Tensor] = [:]
            for (k, v) in file.tensors where k.hasPrefix(prefix + ".") {
                part[String(k.dropFirst(prefix.count + 1))] = v
                known.insert(k)
            }
            do { try m.load(stateDict: part) } catch let e as StateDictError {
                problems += e.problems.map { "\(prefix): \($0)" }
            }
        }
        problems += file.tensors.keys.filter { !known.contains($0) }.sorted().map { "unexpected tensor \($0)" }
        // A class list that disagrees with the heads shows up as shape mismatches of every head's last
        // layer; name the actual mistake (metadata edited, or weights from another run) before them.
        if !problems.isEmpty, let outputs = file.tensors["\(ModelBundle.fusedHeadPrefix).head.weight"]?.shape.first,
            outputs != classes
        {
            problems.insert(
                "class list mismatch: the metadata names \(classes) classes, the classifier heads output \(outputs)",
                at: 0)
        }
        guard problems.isEmpty else { throw LoadError(source: url.path, problems: problems) }
        return bundle
    }
}
