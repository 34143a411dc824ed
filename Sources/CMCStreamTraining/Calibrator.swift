import CMCModel
import CMCTensor
import Foundation

/// Fits a bundle's `Calibration` on labelled windows its heads never saw (the held-out subject of each
/// leave-one-subject-out fold): a softmax temperature per head by maximum likelihood, and the unknown
/// threshold that keeps false action labels in idle windows at a target rate.
public enum Calibrator {
    /// Per head, the held-out windows' logits and labels.
    public struct HeldOut: Sendable {
        public var logits: [Recognizer.Modalities: Tensor]
        public var labels: [Int]

        public init(logits: [Recognizer.Modalities: Tensor], labels: [Int]) {
            self.logits = logits
            self.labels = labels
        }
    }

    /// The logits each head gives the stream windows (not the whole clips) of `features`.
    public static func heldOut(bundle: ModelBundle, features: StreamHeadTrainer.Features) -> HeldOut {
        let rows = features.isClip.indices.filter { !features.isClip[$0] }
        let inertial = Variable(features.inertial.rows(rows))
        let skeleton = Variable(features.skeleton.rows(rows))
        for head in [bundle.classifier, bundle.inertialClassifier, bundle.skeletonClassifier] as [Module] {
            head.eval()
        }
        let logits: [Recognizer.Modalities: Tensor] = GradMode.withoutGrad {
            [
                .both: bundle.classifier(inertial: inertial, skeleton: skeleton).value,
                .inertial: bundle.inertialClassifier(inertial).value,
                .skeleton: bundle.skeletonClassifier(skeleton).value,
            ]
        }
        return HeldOut(logits: logits, labels: rows.map { features.labels[$0] })
    }

    /// Mean negative log-likelihood of `labels` under `softmax(logits / t)`.
    public static func nll(logits: Tensor, labels: [Int], temperature t: Double) -> Double {
        let classes = logits.shape[1]
        var total = 0.0
        for (row, label) in labels.enumerated() {
            let z = (0..<classes).map { Double(logits.storage[row * classes + $0]) / t }
            let top = z.max() ?? 0
            let logSum = top + Foundation.log(z.reduce(0) { $0 + exp($1 - top) })
            total += logSum - z[label]
        }
        return total / Double(max(labels.count, 1))
    }

    /// The temperature minimising the NLL: golden-section search on log T over `Calibration.temperatureRange`
    /// narrowed to [0.05, 20] (the NLL is convex in 1/T, so unimodal in log T).
    public static func temperature(logits: Tensor, labels: [Int]) -> Double {
        var lo = Foundation.log(0.05)
        var hi = Foundation.log(20.0)
        let ratio = (sqrt(5.0) - 1) / 2
        func f(_ x: Double) -> Double { nll(logits: logits, labels: labels, temperature: exp(x)) }
        var a = hi - ratio * (hi - lo)
        var b = lo + ratio * (hi - lo)
        var fa = f(a)
        var fb = f(b)
        for _ in 0..<40 {
            if fa < fb {
                hi = b
                b = a
                fb = fa
                a = hi - ratio * (hi - lo)
                fa = f(a)
            } else {
                lo = a
                a = b
                fa = fb
                b = lo + ratio * (hi - lo)
                fb = f(b)
            }
        }
        return exp((lo + hi) / 2)
    }

    /// Expected calibration error (15 equal-width confidence bins) of `softmax(logits / t)`.
    public static func expectedCalibrationError(logits: Tensor, labels: [Int], temperature t: Double) -> Double {
        let classes = logits.shape[1]
        let bins = 15
        var count = [Int](repeating: 0, count: bins)
        var confidence = [Double](repeating: 0, count: bins)
        var correct = [Double](repeating: 0, count: bins)
        for (row, label) in labels.enumerated() {
            let p = probabilities(logits, row: row, classes: classes, temperature: t)
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            let bin = min(Int(p[best] * Double(bins)), bins - 1)
            count[bin] += 1
            confidence[bin] += p[best]
            correct[bin] += best == label ? 1 : 0
        }
        let n = Double(max(labels.count, 1))
        return (0..<bins).reduce(0.0) { $0 + abs(correct[$1] - confidence[$1]) / n }
    }

    /// The smallest unknown threshold (on a 0.05 grid) at which at most `target` of the idle windows would be
    /// published as an action: their best class is not `idle` and its probability reaches the threshold.
    public static func unknownThreshold(
        logits: Tensor, labels: [Int], idle: Int, temperature t: Double,
        target: Double
    ) -> Double {
        let classes = logits.shape[1]
        let idleRows = labels.indices.filter { labels[$0] == idle }
        let falseConfidences: [Double] = idleRows.compactMap { row in
            let p = probabilities(logits, row: row, classes: classes, temperature: t)
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            return best == idle ? nil : p[best]
        }
        for step in 1...19 {
            let threshold = Double(step) * 0.05
            let published = falseConfidences.filter { $0 >= threshold }.count
            if Double(published) <= target * Double(max(idleRows.count, 1)) { return threshold }
        }
        return 0.95
    }

    private static func probabilities(_ logits: Tensor, row: Int, classes: Int, temperature t: Double) -> [Double] {
        let z = (0..<classes).map { Double(logits.storage[row * classes + $0]) / t }
        let top = z.max() ?? 0
        let e = z.map { exp($0 - top) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }
}
