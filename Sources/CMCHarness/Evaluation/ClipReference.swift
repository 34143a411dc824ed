import CMCDaemon
import CMCData
import CMCModel
import Foundation

/// The stream scores' reference: the replayed clips classified whole, offline, by the model the daemon
/// serves (the way `cmc-train evaluate` scores a bundle).
public enum ClipReference {
    /// Fraction of `samples` whose whole-clip class is right; nil when there are none.
    /// With the default heads (`Recognizer.HeadCombination.default`), as a daemon not told otherwise.
    public static func accuracy(bundle path: String, samples: [Sample]) throws -> Double? {
        guard !samples.isEmpty else { return nil }
        return try accuracy(
            recognizer: Recognizer(bundle: try ModelBundle.load(URL(fileURLWithPath: path))), samples: samples)
    }

    /// By `recognizer` (the one the simulated daemon uses: its heads and precision).
    public static func accuracy(recognizer: Recognizer, samples: [Sample]) throws -> Double? {
        guard !samples.isEmpty else { return nil }
        let results = try recognizer.recognize(samples: samples, batchSize: 32)
        return Double(zip(samples, results).filter { $0.label == $1.label }.count) / Double(samples.count)
    }
}
