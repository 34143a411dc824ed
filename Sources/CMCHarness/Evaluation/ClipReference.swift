import CMCDaemon
import CMCData
import CMCModel
import Foundation

/// The stream scores' reference: the replayed clips classified whole, offline, by the model the daemon
/// serves (the way `cmc-train evaluate` scores a bundle).
public enum ClipReference {
    /// Fraction of `samples` whose whole-clip class is right; nil when there are none.
    public static func accuracy(bundle path: String, samples: [Sample]) throws -> Double? {
        guard !samples.isEmpty else { return nil }
        return try accuracy(bundle: try ModelBundle.load(URL(fileURLWithPath: path)), samples: samples)
    }

    public static func accuracy(bundle: ModelBundle, samples: [Sample]) throws -> Double? {
        guard !samples.isEmpty else { return nil }
        let recognizer = Recognizer(bundle: bundle)
        var right = 0
        var start = 0
        while start < samples.count {
            let batch = Array(samples[start..<min(samples.count, start + 32)])
            let results = try recognizer.recognize(batch: batch.map { ($0.inertial, $0.skeleton) })
            right += zip(batch, results).filter { $0.0.label == $0.1.label }.count
            start += batch.count
        }
        return Double(right) / Double(samples.count)
    }
}
