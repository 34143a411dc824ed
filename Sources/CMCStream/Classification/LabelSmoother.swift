/// Temporal smoothing and the "unknown" threshold.
public struct SmoothingPolicy: Sendable, Equatable {
    /// How many recent windows are averaged (1 = no smoothing). Two (1 s at the default hop): averages
    /// never reach across an action boundary anyway (the history restarts with each action).
    public var windows: Int = 2
    /// Below this smoothed probability the published label (and an action event's) is "unknown". With
    /// 27 classes (chance 0.04) and idle decided by the segmenter, 0.1 scored best on replays of all
    /// four UTD-MHAD subjects at hand (window accuracy 0.804 vs 0.791 at 0.25, event F1 0.873 vs 0.862);
    /// 0.5 turned most correct windows into "unknown". nil: the model's calibrated threshold
    /// (`ClassifierSpec.unknownThreshold`), else `defaultUnknownThreshold`.
    public var unknownThreshold: Double?
    public static let defaultUnknownThreshold = 0.1
    /// How many candidates a label event lists.
    public var topK: Int = 3
    /// Windows whose ends are further apart than this do not smooth together (the subject went away).
    public var maxHistorySeconds: Double = 5

    public init(windows: Int = 2, unknownThreshold: Double? = nil, topK: Int = 3, maxHistorySeconds: Double = 5) {
        self.windows = windows
        self.unknownThreshold = unknownThreshold
        self.topK = topK
        self.maxHistorySeconds = maxHistorySeconds
    }

    /// The threshold in force: the operator's, else the model's, else the default.
    public func unknownThreshold(model: Double?) -> Double {
        unknownThreshold ?? model ?? Self.defaultUnknownThreshold
    }
}

/// The decision for one window after smoothing.
public struct Decision: Sendable, Equatable {
    public var label: String
    /// -1 for "unknown".
    public var labelIndex: Int
    public var confidence: Double
    public var topK: [LabelEvent.Candidate]
    public var raw: LabelEvent.Candidate
}

/// Averages the probability vectors of a subject's recent windows (a moving average over at most
/// `policy.windows` windows), so one ambiguous window does not flip the label.
public struct LabelSmoother: Sendable {
    public let policy: SmoothingPolicy
    private var history: [(end: Int64, probabilities: [Float])] = []

    public init(policy: SmoothingPolicy) { self.policy = policy }

    public mutating func reset() { history.removeAll() }

    /// Adds a window's probabilities (already validated: one per class, finite, summing to 1) and returns
    /// the smoothed decision.
    public mutating func add(
        _ probabilities: [Float], windowEnd: Int64, classNames: [String], background: Set<String> = [],
        modelThreshold: Double? = nil
    ) -> Decision {
        let horizon = windowEnd - Int64(policy.maxHistorySeconds * 1e9)
        if let last = history.last,
            last.probabilities.count != probabilities.count || last.end < horizon || last.end > windowEnd
        {
            history.removeAll() // model changed, subject was away, or time went backwards
        }
        history.append((windowEnd, probabilities))
        if history.count > max(1, policy.windows) { history.removeFirst(history.count - max(1, policy.windows)) }

        var mean = [Double](repeating: 0, count: probabilities.count)
        for entry in history { for (i, p) in entry.probabilities.enumerated() { mean[i] += Double(p) } }
        for i in mean.indices { mean[i] /= Double(history.count) }
        return Self.decide(
            smoothed: mean, raw: probabilities, classNames: classNames, policy: policy, background: background,
            modelThreshold: modelThreshold)
    }

    /// The decision for (smoothed) probabilities. A best class among `background` (a model's "no action"
    /// classes, e.g. `idle`) is published as `idle` (index -2), whatever its probability.
    static func decide(
        smoothed: [Double], raw: [Float], classNames: [String], policy: SmoothingPolicy,
        background: Set<String> = [], modelThreshold: Double? = nil
    ) -> Decision {
        let ranked = smoothed.indices.sorted { smoothed[$0] != smoothed[$1] ? smoothed[$0] > smoothed[$1] : $0 < $1 }
        let best = ranked[0]
        let rawBest = raw.indices.max { raw[$0] < raw[$1] } ?? 0
        let idle = background.contains(classNames[best])
        let known = smoothed[best] >= policy.unknownThreshold(model: modelThreshold)
        return Decision(
            label: idle ? LabelEvent.idleLabel : known ? classNames[best] : LabelEvent.unknownLabel,
            labelIndex: idle ? LabelEvent.idleIndex : known ? best : -1,
            confidence: smoothed[best],
            topK: ranked.prefix(max(1, policy.topK)).map {
                LabelEvent.Candidate(label: classNames[$0], probability: smoothed[$0])
            },
            raw: LabelEvent.Candidate(label: classNames[rawBest], probability: Double(raw[rawBest])))
    }
}

extension Classification {
    /// Checks the classifier's output before it reaches the smoother: one finite, non-negative value per
    /// class with a positive sum. Returns the probabilities normalised to sum to 1, or nil.
    func validated(classCount: Int) -> [Float]? {
        guard probabilities.count == classCount, classCount > 0,
            probabilities.allSatisfy({ $0.isFinite && $0 >= 0 })
        else { return nil }
        let sum = probabilities.reduce(0, +)
        guard sum > 0, sum.isFinite else { return nil }
        return probabilities.map { $0 / sum }
    }
}
