import CMCData
import CMCModel
import CMCTensor
import Foundation

extension ExperimentRunner {
    /// The window the daemon should cut: the configured one, else the median duration of the training
    /// clips (inertial samples over the inertial rate, or skeleton frames over the frame rate).
    var windowSeconds: Double {
        if let w = config.windowSeconds { return w }
        let durations: [Double] = train.samples.compactMap { s in
            if let r = dataset.info.inertialSampleRate, s.inertialLength > 0 { return Double(s.inertialLength) / r }
            if let r = dataset.info.skeletonFrameRate, s.skeletonLength > 0 { return Double(s.skeletonLength) / r }
            return nil
        }.sorted()
        return durations.isEmpty ? 3 : (durations[durations.count / 2] * 10).rounded() / 10
    }

    func exportBundle(
        inertial: FeatureEncoder, skeleton: FeatureEncoder, classifier: MultiModalClassifier,
        fallbacks: [UnimodalClassifier], outcome: ClassifierOutcome, to url: URL
    ) throws {
        guard let ie = inertial as? InertialEncoder, let se = skeleton as? SkeletonEncoder else { return }
        var validation: [String: Double] = [:]
        if let v = outcome.val {
            validation["accuracy"] = v.accuracy
            validation["macro_f1"] = v.macro_f1
        }
        if let t = outcome.test {
            validation["test_accuracy"] = t.accuracy
            validation["test_macro_f1"] = t.macro_f1
        }
        let meta = BundleMetadata(
            dataset: dataset.info, preprocessing: train.preprocessor, inertialEncoder: ie.config,
            skeletonEncoder: se.config,
            classifierHidden: config.classifierHidden, windowSeconds: windowSeconds, method: "cmc-cmkm",
            trainingConfig: config.jsonString(),
            split: ["train": split.train, "val": split.val, "test": split.test], validation: validation)
        let bundle = ModelBundle(
            metadata: meta, inertialEncoder: ie, skeletonEncoder: se, classifier: classifier,
            inertialClassifier: fallbacks[0], skeletonClassifier: fallbacks[1])
        try bundle.save(to: url, dtype: .f16)
        log("exported \(url.path) (float16, window \(windowSeconds) s)")
    }
}
