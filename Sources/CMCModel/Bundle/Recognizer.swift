import CMCData
import CMCTensor
import Foundation

/// Raw windows in, class probabilities out: preprocessing exactly as in training, the encoders, and
/// the fused classifier — or the fallback classifier of the one modality present.
public struct Recognizer: Sendable {
    public let bundle: ModelBundle
    public let precision: InferencePrecision
    /// How a window carrying both modalities is classified.
    public var heads = HeadCombination.default

    /// The classifiers that decide a window carrying both modalities.
    public enum HeadCombination: String, Sendable, Codable, CaseIterable {
        /// The multimodal classifier alone.
        case fused
        /// The multimodal classifier and the skeleton-only one, their (calibrated) log-probabilities
        /// averaged: a geometric mean, as sharp as either head. The multimodal head leans on inertial
        /// features that carry over poorly to a new person; the skeleton head does not.
        case fusedAndSkeleton = "fused+skeleton"

        /// Chosen on the leave-one-subject-out fold bundles of UTD-MHAD (each fold's held-out subject,
        /// 431 clips; docs/results/heads-2026-12-03.md): whole clips 93.49 % with the fused head alone,
        /// 96.06 % with the skeleton head beside it (better or equal on every subject); partial clips
        /// 61.2 → 62.8 %; streams of subject 7: event F1 0.927 → 0.954, window accuracy unchanged.
        public static let `default` = HeadCombination.fusedAndSkeleton
    }

    /// float32.
    public init(bundle: ModelBundle) {
        self.bundle = bundle
        precision = .float32
    }

    /// In `precision`: int8 quantises the bundle's layers in place (`ModelBundle.quantizeForInference()`), so
    /// the bundle must not be shared with a float32 user. Throws when this CPU cannot run it.
    public init(bundle: ModelBundle, precision: InferencePrecision) throws {
        if let reason = precision.unsupportedReason { throw UnsupportedPrecision(reason: reason) }
        if precision == .int8 { bundle.quantizeForInference() }
        self.bundle = bundle
        self.precision = precision
    }

    public struct UnsupportedPrecision: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public enum Modalities: String, Sendable, Codable { case both, inertial, skeleton }

    public struct Recognition: Sendable, Equatable {
        public var probabilities: [Float]
        public var modalities: Modalities
        public var label: Int { Self.label(of: probabilities) }

        /// The most probable class (the first on ties; 0 for none).
        public static func label(of probabilities: [Float]) -> Int {
            probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        }
    }

    public enum RecognitionError: Error, CustomStringConvertible {
        case noModality
        case shape(String)
        public var description: String {
            switch self {
            case .noModality: "window has neither inertial nor skeleton data"
            case .shape(let s): s
            }
        }
    }

    /// Classifies one window: raw inertial (C, T) and/or raw skeleton (C, T, J) in training units.
    public func recognize(inertial: DataArray?, skeleton: DataArray?) throws -> Recognition {
        try recognize(batch: [(inertial, skeleton)])[0]
    }

    /// Classifies many windows at once. Windows are grouped by the modalities they carry and each
    /// group runs as one batch (far cheaper per window than one by one).
    public func recognize(batch: [(inertial: DataArray?, skeleton: DataArray?)]) throws -> [Recognition] {
        let m = bundle.metadata
        let pre = m.preprocessing
        var results = [Recognition?](repeating: nil, count: batch.count)
        var groups: [Modalities: [Int]] = [:]
        var inputsI: [Int: DataArray] = [:]
        var inputsS: [Int: DataArray] = [:]
        for (i, w) in batch.enumerated() {
            if let x = w.inertial {
                guard x.rank == 2, x.shape[0] == m.inertialEncoder.inChannels else {
                    throw RecognitionError.shape(
                        "inertial window has shape \(x.shape), the model wants (\(m.inertialEncoder.inChannels), T)")
                }
                inputsI[i] = try pre.inertial(x)
            }
            if let s = w.skeleton {
                guard s.rank == 3, s.shape[0] == m.skeletonEncoder.inChannels, s.shape[2] == m.skeletonEncoder.joints
                else {
                    throw RecognitionError.shape(
                        "skeleton window has shape \(s.shape), the model wants (\(m.skeletonEncoder.inChannels), T, \(m.skeletonEncoder.joints))"
                    )
                }
                inputsS[i] = try pre.skeleton(s)
            }
            switch (inputsI[i] != nil, inputsS[i] != nil) {
            case (true, true): groups[.both, default: []].append(i)
            case (true, false): groups[.inertial, default: []].append(i)
            case (false, true): groups[.skeleton, default: []].append(i)
            case (false, false): throw RecognitionError.noModality
            }
        }
        let temperatures: (Modalities) -> Double = { m.calibration?.temperature($0) ?? 1 }
        GradMode.withoutGrad {
            for (modalities, idx) in groups {
                let logits: Tensor
                switch modalities {
                case .both:
                    let fi = bundle.inertialEncoder(Variable(Tensor.stacked(idx.map { inputsI[$0]! })))
                    let fs = bundle.skeletonEncoder(Variable(Tensor.stacked(idx.map { inputsS[$0]! })))
                    let fused = bundle.classifier(inertial: fi, skeleton: fs).value
                    let skeleton = heads == .fusedAndSkeleton ? bundle.skeletonClassifier(fs).value : nil
                    logits = Self.bothLogits(fused: fused, skeleton: skeleton, heads: heads, temperature: temperatures)
                case .inertial:
                    let features = bundle.inertialEncoder(Variable(Tensor.stacked(idx.map { inputsI[$0]! })))
                    logits = Self.scaled(bundle.inertialClassifier(features).value, Float(temperatures(.inertial)))
                case .skeleton:
                    let features = bundle.skeletonEncoder(Variable(Tensor.stacked(idx.map { inputsS[$0]! })))
                    logits = Self.scaled(bundle.skeletonClassifier(features).value, Float(temperatures(.skeleton)))
                }
                let probs = Kernels.softmax(logits, axis: 1)
                let c = probs.shape[1]
                for (row, i) in idx.enumerated() {
                    results[i] = Recognition(
                        probabilities: Array(probs.storage[(row * c)..<((row + 1) * c)]), modalities: modalities)
                }
            }
        }
        return results.map { $0! }
    }

    /// Whole clips, `batchSize` at a time, with whichever modalities each carries.
    public func recognize(samples: [Sample], batchSize: Int = 64) throws -> [Recognition] {
        var out: [Recognition] = []
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let chunk = samples[start..<min(start + batchSize, samples.count)]
            out += try recognize(batch: chunk.map { ($0.inertial, $0.skeleton) })
        }
        return out
    }

    /// Logits whose softmax is what `heads` serves for a window with both modalities, from the multimodal
    /// head's logits and (for `fusedAndSkeleton`) the skeleton head's, each at its calibrated temperature.
    /// For two heads: the mean of their log-probabilities, whose softmax is their normalised geometric mean.
    /// One definition for the recognizer and for the calibration that fits what it serves.
    public static func bothLogits(
        fused: Tensor, skeleton: Tensor?, heads: HeadCombination, temperature: (Modalities) -> Double
    ) -> Tensor {
        guard heads == .fusedAndSkeleton, let skeleton else { return scaled(fused, Float(temperature(.both))) }
        precondition(fused.shape == skeleton.shape, "heads of shapes \(fused.shape) and \(skeleton.shape)")
        let a = logSoftmax(fused, Float(temperature(.both)))
        let b = logSoftmax(skeleton, Float(temperature(.skeleton)))
        return Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map { ($0 + $1) / 2 })
    }

    static func scaled(_ logits: Tensor, _ t: Float) -> Tensor {
        t == 1 ? logits : Tensor(shape: logits.shape, storage: logits.storage.map { $0 / t })
    }

    static func logSoftmax(_ logits: Tensor, _ t: Float) -> Tensor {
        let p = Kernels.softmax(scaled(logits, t), axis: 1)
        return Tensor(shape: p.shape, storage: p.storage.map { Foundation.log(max($0, .leastNormalMagnitude)) })
    }
}

extension Tensor {
    /// Stacks same-shape arrays into a batch tensor (B, …).
    public static func stacked(_ arrays: [DataArray]) -> Tensor {
        precondition(!arrays.isEmpty, "stack of nothing")
        let shape = arrays[0].shape
        var values = [Float]()
        values.reserveCapacity(arrays.count * arrays[0].count)
        for a in arrays {
            precondition(a.shape == shape, "stack: shape \(a.shape) differs from \(shape)")
            values.append(contentsOf: a.values)
        }
        return Tensor(shape: [arrays.count] + shape, storage: values)
    }
}
