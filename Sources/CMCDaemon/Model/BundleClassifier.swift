import CMCCore
import CMCData
import CMCModel
import CMCStream
import CMCTensor
import Foundation

/// A trained model bundle as the pipeline's classifier: live windows in, class probabilities out.
///
/// ```swift
/// let classifier = try BundleClassifier.load(path: "models/utd-mhad-cmkm.safetensors")
/// let pipeline = try StreamPipeline(config: config, classifier: classifier)
/// ```
///
/// Everything it needs travels in the bundle: the class list, the window length, the channel layout
/// and the units the model was trained on. Per window it
/// 1. converts the pipeline's canonical units back to the training units (UTD-MHAD was trained on g
///    and deg/s: m/s² ÷ 9.80665, rad/s × 180/π; a skeleton in m becomes mm for a model trained on mm),
/// 2. puts irregular samples on a uniform grid at the nominal rate (`WindowGrid`),
/// 3. hands raw `(C, T)` / `(C, T, J)` arrays to `Recognizer`, which preprocesses them with the very
///    code training used (FFT resampling to the model's length, skeleton normalisation) and runs the
///    fused classifier, or the fallback of the one modality present.
///
/// `classify(batch:)` runs all queued windows through the encoders together: batched forward passes
/// cost far less per window than single ones. Thread-safe: the bundle is only read (eval mode).
public struct BundleClassifier: WindowClassifier {
    public let recognizer: Recognizer
    public private(set) var spec: ClassifierSpec
    /// Where the bundle came from (for logs).
    public let source: String
    /// Per IMU channel: canonical value × factor = training unit.
    public let inertialFactors: [Float]
    public let skeletonFactor: Float
    /// Nominal rates for the uniform grid of irregular windows (nil: the window's mean rate).
    let inertialRate: Double?
    let skeletonRate: Double?

    /// Throws when the bundle does not fit the pipeline, or this CPU cannot run `precision`.
    public init(
        bundle: ModelBundle, source: String = "model bundle", precision: InferencePrecision = .float32,
        heads: Recognizer.HeadCombination = .default
    ) throws {
        let m = bundle.metadata
        let info = m.dataset
        var recognizer = try Recognizer(bundle: bundle, precision: precision)
        recognizer.heads = heads
        self.recognizer = recognizer
        self.source = source
        let hasInertial = info.hasInertial
        let hasSkeleton = info.hasSkeleton
        // Units the bundle names but this build does not know are trusted as they come (factor 1, any
        // wire unit accepted): refusing the model would be worse than not converting.
        let units = info.inertialChannels.map { ModelUnit($0.unit) }
        let known = units.allSatisfy { $0 != nil }
        inertialFactors = units.map { $0?.fromCanonical ?? 1 }
        skeletonFactor = info.skeletonUnit.flatMap(ModelUnit.init)?.fromCanonical ?? 1
        inertialRate = info.inertialSampleRate
        skeletonRate = info.skeletonFrameRate
        spec = ClassifierSpec(
            classNames: info.classNames, windowSeconds: m.windowSeconds,
            inertialChannels: hasInertial ? m.inertialEncoder.inChannels : nil,
            inertialUnits: hasInertial && known ? units.map { $0!.canonical } : nil,
            skeletonCoordinates: hasSkeleton ? m.skeletonEncoder.inChannels : nil,
            skeletonJoints: hasSkeleton ? m.skeletonEncoder.joints : nil,
            skeletonUnit: hasSkeleton ? info.skeletonUnit.flatMap(ModelUnit.init)?.canonical : nil,
            // The bundle always carries one fallback classifier per modality.
            inertialOnly: hasInertial, skeletonOnly: hasSkeleton)
        spec.backgroundClasses = m.backgroundClasses ?? []
        spec.unknownThreshold = m.calibration?.unknownThreshold
        if hasSkeleton, info.jointNames == SkeletonLayout.kinectV1.jointNames, m.skeletonEncoder.inChannels == 3 {
            spec.skeletonLayout = .kinectV1
        }
        try StreamPipeline.check(spec)
    }

    /// Loads, checks and smoke-tests a bundle file; throws naming every problem found.
    /// FNV-1a (64-bit) of a file's bytes: tells models apart in events and logs (an identity, not a
    /// signature: integrity comes from the file's place and permissions).
    static func fingerprint(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "fnv1a64:" + String(hash, radix: 16)
    }

    public static func load(
        path: String, precision: InferencePrecision = .float32, heads: Recognizer.HeadCombination = .default
    ) throws -> BundleClassifier {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelBundle.LoadError(source: path, problems: ["file not found"])
        }
        var classifier = try BundleClassifier(
            bundle: try ModelBundle.load(url), source: path, precision: precision, heads: heads)
        if let data = FileManager.default.contents(atPath: path) {
            classifier.spec.modelID = url.lastPathComponent + "@" + fingerprint(data)
        }
        try classifier.selfTest()
        return classifier
    }

    // MARK: Classification

    public func classify(_ window: Window) throws -> Classification {
        let (inertial, skeleton) = try arrays(for: window)
        return Classification(
            probabilities: try recognizer.recognize(inertial: inertial, skeleton: skeleton).probabilities)
    }

    public func classify(batch windows: [Window]) -> [Result<Classification, any Error>] {
        var results = [Result<Classification, any Error>?](repeating: nil, count: windows.count)
        var inputs: [(inertial: DataArray?, skeleton: DataArray?)] = []
        var owners: [Int] = []
        for (i, window) in windows.enumerated() {
            do {
                inputs.append(try arrays(for: window))
                owners.append(i)
            } catch { results[i] = .failure(error) }
        }
        if !inputs.isEmpty {
            do {
                for (k, r) in try recognizer.recognize(batch: inputs).enumerated() {
                    results[owners[k]] = .success(Classification(probabilities: r.probabilities))
                }
            } catch {
                // One window the preprocessing refuses (e.g. a skeleton whose reference joints coincide)
                // fails the whole batched call: redo the batch one by one so only that window is lost.
                for (k, i) in owners.enumerated() {
                    results[i] = Result {
                        Classification(
                            probabilities: try recognizer.recognize(
                                inertial: inputs[k].inertial, skeleton: inputs[k].skeleton
                            ).probabilities)
                    }
                }
            }
        }
        return results.map { $0! }
    }

    // MARK: Window → model arrays

    /// The window's modalities as raw arrays in training units on a uniform grid: inertial `(C, T)`,
    /// skeleton `(C, T, J)`.
    public func arrays(for window: Window) throws -> (inertial: DataArray?, skeleton: DataArray?) {
        var inertial: DataArray?
        var skeleton: DataArray?
        if let w = window.inertial {
            guard w.channels == inertialFactors.count, w.joints == 0 else {
                throw Recognizer.RecognitionError.shape(
                    "IMU window has \(w.channels) channels, the model wants \(inertialFactors.count)")
            }
            inertial = uniform(
                w, seconds: Double(window.end - window.start) * 1e-9, rate: inertialRate, factors: inertialFactors)
        }
        if let w = window.skeleton {
            guard w.channels == spec.skeletonCoordinates, w.joints == spec.skeletonJoints else {
                throw Recognizer.RecognitionError.shape(
                    "skeleton window has \(w.channels) coordinates × \(w.joints) joints, "
                        + "the model wants \(spec.skeletonCoordinates ?? 0) × \(spec.skeletonJoints ?? 0)")
            }
            skeleton = uniform(
                w, seconds: Double(window.end - window.start) * 1e-9, rate: skeletonRate,
                factors: Array(repeating: skeletonFactor, count: w.channels))
        }
        if inertial == nil && skeleton == nil { throw Recognizer.RecognitionError.noModality }
        return (inertial, skeleton)
    }

    /// Scales each channel to training units and, if the samples are irregular, interpolates them onto
    /// an even grid at `rate` over the window.
    private func uniform(_ w: ModalityWindow, seconds: Double, rate: Double?, factors: [Float]) -> DataArray {
        let inner = max(1, w.joints)
        var values = w.values
        if factors.contains(where: { $0 != 1 }) {
            let block = w.count * inner
            for c in 0..<w.channels where factors[c] != 1 {
                let f = factors[c]
                for i in c * block..<(c + 1) * block { values[i] *= f }
            }
        }
        var count = w.count
        if !WindowGrid.isRegular(w.times) {
            let hz = rate ?? Double(w.count) / max(seconds, 1e-9)
            count = max(2, Int((seconds * hz).rounded()))
            values = WindowGrid.interpolate(
                values, channels: w.channels, inner: inner, times: w.times,
                onto: WindowGrid.grid(seconds: seconds, count: count))
        }
        return DataArray(shape: w.joints == 0 ? [w.channels, count] : [w.channels, count, w.joints], values: values)
    }

    // MARK: Self-test

    /// Classifies a synthetic window of every modality combination the spec accepts and checks the
    /// answer is a probability vector: catches a bundle that loads but cannot run (e.g. weights that
    /// produce NaN), before it replaces a working model.
    public func selfTest() throws {
        let windows = syntheticWindows()
        for (window, result) in zip(windows, classify(batch: windows)) {
            let names = window.modalities.map(\.description).joined(separator: "+")
            let p: [Float]
            do { p = try result.get().probabilities } catch {
                throw ModelBundle.LoadError(source: source, problems: ["self-test (\(names)) failed: \(error)"])
            }
            let sum = p.reduce(0, +)
            guard p.count == spec.classNames.count, p.allSatisfy({ $0.isFinite && $0 >= 0 }), abs(sum - 1) < 1e-3 else {
                throw ModelBundle.LoadError(
                    source: source,
                    problems: ["self-test (\(names)) produced no probability vector (\(p.count) values, sum \(sum))"])
            }
        }
    }

    /// A smooth synthetic window (one subject, the model's window length and rates) for every modality
    /// combination the spec accepts, all modalities first: what the self-test and benchmarks classify.
    public func syntheticWindows() -> [Window] {
        let seconds = spec.windowSeconds
        let end = Int64(seconds * 1e9)
        func times(_ n: Int) -> [Double] { (0..<n).map { seconds * Double($0 + 1) / Double(n) } }
        var imu: ModalityWindow?
        var skel: ModalityWindow?
        if let c = spec.inertialChannels {
            let n = max(2, Int(seconds * (inertialRate ?? 50)))
            let values = (0..<c * n).map { i in
                Float(sin(Double(i % n) * 0.3 + Double(i / n))) + (i / n == 2 ? 9.81 : 0)
            }
            imu = ModalityWindow(channels: c, joints: 0, count: n, times: times(n), values: values)
        }
        if let c = spec.skeletonCoordinates, let j = spec.skeletonJoints {
            let n = max(2, Int(seconds * (skeletonRate ?? 30)))
            var values = [Float](repeating: 0, count: c * n * j)
            for ci in 0..<c {
                for t in 0..<n {
                    for ji in 0..<j {
                        values[(ci * n + t) * j + ji] =
                            0.1 * Float(ji + 1) * Float(ci + 1) + 0.01 * Float(sin(Double(t) * 0.2 + Double(ji)))
                    }
                }
            }
            skel = ModalityWindow(channels: c, joints: j, count: n, times: times(n), values: values)
        }
        var windows: [Window] = []
        for (i, s) in [(imu, skel), (imu, nil), (nil, skel)]
        where (i != nil || s != nil) && spec.accepts(inertial: i != nil, skeleton: s != nil) {
            windows.append(Window(subject: 0, start: 0, end: end, inertial: i, skeleton: s, readyAt: 0))
        }
        return windows
    }
}
