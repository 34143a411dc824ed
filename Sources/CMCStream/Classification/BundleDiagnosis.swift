import CMCModel
import CMCTensor
import Foundation

/// Plain-language causes for bundles that `ModelBundle.load` refuses with low-level problems.
enum BundleDiagnosis {
    /// A bundle whose class list disagrees with its classifier heads shows up as shape mismatches of
    /// every head's last layer; saying "the class list does not match" names the actual mistake (e.g. a
    /// metadata file edited, or weights from another training run) before those details.
    static func explain(_ error: ModelBundle.LoadError, url: URL) -> ModelBundle.LoadError {
        guard let file = try? SafeTensors.read(url), let json = file.metadata["cmc.bundle"],
              let metadata = try? JSONDecoder().decode(BundleMetadata.self, from: Data(json.utf8)),
              let outputs = file.tensors["classifier.head.weight"]?.shape.first,
              outputs != metadata.dataset.classNames.count else { return error }
        let names = metadata.dataset.classNames.count
        return ModelBundle.LoadError(source: error.source, problems: [
            "class list mismatch: the metadata names \(names) classes, the classifier heads output \(outputs)"] + error.problems)
    }
}
