import CMCDaemon
import CMCCore
import CMCData
import CMCModel

/// A model bundle with randomly initialised weights and real metadata: what tests and throughput
/// measurements need before (or without) a trained model. Its accuracy is chance level.
public enum UntrainedBundle {
    /// Full-size encoders (the architecture a trained bundle has) unless smaller configs are given.
    public static func make(
        info: DatasetInfo = UTDMHAD.info, preprocessing: Preprocessor = .utdMHAD, windowSeconds: Double = 3.5,
        inertial: InertialEncoder.Config? = nil, skeleton: SkeletonEncoder.Config? = nil,
        classifierHidden: Int = 256, seed: UInt64 = 1
    ) -> ModelBundle {
        var rng = SeededRNG(seed: seed)
        var ic = inertial ?? InertialEncoder.Config()
        ic.inChannels = info.inertialChannels.count
        ic.length = preprocessing.length
        var sc = skeleton ?? SkeletonEncoder.Config()
        sc.inChannels = info.skeletonDimensions ?? sc.inChannels
        sc.joints = info.jointCount ?? sc.joints
        sc.length = preprocessing.length
        let ie = InertialEncoder(ic, rng: &rng)
        let se = SkeletonEncoder(sc, rng: &rng)
        let classes = info.classNames.count
        let meta = BundleMetadata(
            dataset: info, preprocessing: preprocessing, inertialEncoder: ic, skeletonEncoder: sc,
            classifierHidden: classifierHidden, windowSeconds: windowSeconds, method: "untrained",
            trainingConfig: "{}", split: [:], validation: [:])
        return ModelBundle(
            metadata: meta, inertialEncoder: ie, skeletonEncoder: se,
            classifier: MultiModalClassifier(
                inertialFeatures: ie.outputSize, skeletonFeatures: se.outputSize, hidden: classifierHidden,
                classes: classes, rng: &rng),
            inertialClassifier: UnimodalClassifier(
                features: ie.outputSize, hidden: classifierHidden, classes: classes, rng: &rng),
            skeletonClassifier: UnimodalClassifier(
                features: se.outputSize, hidden: classifierHidden, classes: classes, rng: &rng))
    }
}
