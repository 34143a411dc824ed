/// How much to trust a model's probabilities, fitted on windows of subjects its heads never saw.
///
/// Temperature scaling (Guo et al., 2017): `softmax(logits / T)` per head — T > 1 softens over-confident
/// heads, and the ranking of classes never changes. The unknown threshold is the smoothed probability
/// below which the daemon publishes "unknown", chosen for a target rate of false action labels in idle.
public struct Calibration: Codable, Sendable, Equatable {
    /// Softmax temperature per head, keyed by `Recognizer.Modalities` (`both`, `inertial`, `skeleton`);
    /// a head without one keeps T = 1.
    public var temperatures: [String: Double]
    /// The daemon's default unknown threshold for this model (an operator's `unknown_threshold` wins).
    public var unknownThreshold: Double?
    /// How the values were chosen, for the record (subjects, target rate).
    public var method: String

    public init(temperatures: [String: Double], unknownThreshold: Double?, method: String) {
        self.temperatures = temperatures
        self.unknownThreshold = unknownThreshold
        self.method = method
    }

    public func temperature(_ head: Recognizer.Modalities) -> Double { temperatures[head.rawValue] ?? 1 }

    /// Temperatures outside this range mean a fit went wrong (or a hostile file): refused at load.
    public static let temperatureRange = 0.01...100.0

    func problems() -> [String] {
        var p: [String] = []
        for (head, t) in temperatures.sorted(by: { $0.key < $1.key }) {
            if Recognizer.Modalities(rawValue: head) == nil { p.append("calibration: unknown head \"\(head)\"") }
            if !Self.temperatureRange.contains(t) {
                p.append("calibration: temperature \(t) of \(head) is not in 0.01...100")
            }
        }
        if let u = unknownThreshold, !(0...1).contains(u) {
            p.append("calibration: unknown threshold \(u) is not in [0, 1]")
        }
        return p
    }
}
