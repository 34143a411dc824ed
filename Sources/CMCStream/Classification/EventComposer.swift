import CMCCore

/// Turns classified windows into the events the pipeline publishes: per-subject smoothing, the
/// unknown threshold, idle, and one decision per whole action.
///
/// Socket-free on purpose: the daemon's I/O thread and the offline simulation that `cmc-replay
/// --offline` and `cmc-train stream-head` run (`StreamSimulation`) decide with this one definition,
/// so what training and evaluation see is what the daemon publishes.
public struct EventComposer: Sendable {
    public let smoothing: SmoothingPolicy
    /// The time base events name (`clock`): "shared" or "monotonic".
    public let clock: String
    private var subjects: [UInt32: SubjectLabels] = [:]
    /// The next `seq` of the subjects forgotten (evicted) lately: one heard from again goes on where it
    /// stopped, so a consumer sees neither a restart nor a gap. Bounded (subject ids come from the wire):
    /// the oldest beyond `rememberedSubjects` only raise `nextSequence`.
    private var forgotten: [UInt32: UInt64] = [:]
    /// `forgotten`'s ids, oldest first (an id forgotten twice may appear twice; the map decides).
    private var forgottenOrder: [UInt32] = []
    /// Above every `seq` of a forgotten subject no longer remembered: where any subject not remembered
    /// starts, so a label sequence never goes back while the daemon runs (protocol §5.1).
    private var nextSequence: UInt64 = 0
    /// Subjects whose next `seq` is remembered after they were forgotten (12 bytes each, plus the order).
    public static let rememberedSubjects = 4096

    public init(smoothing: SmoothingPolicy, clock: String) {
        self.smoothing = smoothing
        self.clock = clock
    }

    /// What the pipeline measured around one classification (for the event's timing fields).
    public struct Timing: Sendable {
        public var inferenceSeconds: Double
        /// CLOCK_MONOTONIC ns (or the simulation's clock) at which the event goes out.
        public var now: Int64
        public init(inferenceSeconds: Double, now: Int64) {
            self.inferenceSeconds = inferenceSeconds
            self.now = now
        }
    }

    /// The event for a classified window: an action event for an action window, a label event for a
    /// periodic one. Nil when the model calls a whole action background (e.g. `idle`): the segmenter
    /// fired on something that is no action, and no action event is better than a false one.
    ///
    /// - Parameters:
    ///   - classNames: the classes `probabilities` are over (validated: one each, summing to 1).
    ///   - spec: the spec of the model that decided, if it is still the current one (nil after a reload
    ///     changed the classes): tells whether a one-modality window was a fallback.
    public mutating func event(
        for window: Window, probabilities: [Float], classNames: [String], spec: ClassifierSpec?,
        modelID: String?, timing: Timing
    ) -> PublishedEvent? {
        let bimodal = spec.map { $0.inertialChannels != nil && $0.skeletonJoints != nil } ?? true
        let fallback = bimodal && window.modalities.count == 1
        let background = Set(spec?.backgroundClasses ?? [])
        switch window.purpose {
        case .action(let action):
            // One decision for the whole action: no smoothing with its neighbours.
            let decision = LabelSmoother.decide(
                smoothed: probabilities.map(Double.init), raw: probabilities,
                classNames: classNames, policy: smoothing, background: background,
                modelThreshold: spec?.unknownThreshold)
            if decision.labelIndex == LabelEvent.idleIndex { return nil }
            return .action(
                ActionEvent(
                    version: ActionEvent.currentVersion, subject: window.subject, action: action.id, clock: clock,
                    startNanoseconds: window.start, endNanoseconds: window.end,
                    startSensorNanoseconds: window.start &- window.sensorOffset,
                    endSensorNanoseconds: window.end &- window.sensorOffset,
                    label: decision.label, labelIndex: decision.labelIndex, confidence: decision.confidence,
                    topK: decision.topK,
                    modalities: window.modalities.map(\.description), fallback: fallback, truncated: action.truncated,
                    inferenceMilliseconds: timing.inferenceSeconds * 1e3,
                    endToEndMilliseconds: Double(timing.now - window.readyAt) * 1e-6,
                    publishedUnixNanoseconds: MonotonicClock.unixNow(), model: modelID))
        case .periodic(let span, let phase):
            var state = labelState(window.subject)
            var actionID: UInt64?
            if case .action(let id, _, _)? = phase { actionID = id }
            // Smoothing never reaches across an action boundary: the history restarts with each action.
            state.enter(actionID.map(SubjectLabels.Context.action) ?? .unsegmented)
            let decision = state.smoother.add(
                probabilities, windowEnd: window.end, classNames: classNames, background: background,
                modelThreshold: spec?.unknownThreshold)
            let event = LabelEvent(
                version: LabelEvent.currentVersion, subject: window.subject, sequence: state.sequence, clock: clock,
                windowStartNanoseconds: span.lowerBound, windowEndNanoseconds: span.upperBound,
                label: decision.label, labelIndex: decision.labelIndex, confidence: decision.confidence,
                topK: decision.topK, modalities: window.modalities.map(\.description),
                fallback: fallback, raw: decision.raw,
                inferenceMilliseconds: timing.inferenceSeconds * 1e3,
                endToEndMilliseconds: Double(timing.now - window.readyAt) * 1e-6,
                publishedUnixNanoseconds: MonotonicClock.unixNow(),
                windowEndSensorNanoseconds: span.upperBound &- window.sensorOffset, action: actionID, model: modelID)
            state.sequence += 1
            subjects[window.subject] = state
            return .label(event)
        }
    }

    /// "idle" for a periodic window whose centre lies between actions (decided without inference).
    public mutating func idle(for window: Window, now: Int64) -> LabelEvent? {
        guard case .periodic(let span, _) = window.purpose else { return nil }
        var state = labelState(window.subject)
        state.enter(.idle)
        let idle = LabelEvent.Candidate(label: LabelEvent.idleLabel, probability: 1)
        let event = LabelEvent(
            version: LabelEvent.currentVersion, subject: window.subject, sequence: state.sequence, clock: clock,
            windowStartNanoseconds: span.lowerBound, windowEndNanoseconds: span.upperBound,
            label: LabelEvent.idleLabel, labelIndex: LabelEvent.idleIndex, confidence: 1, topK: [idle], modalities: [],
            fallback: false, raw: idle, inferenceMilliseconds: 0,
            endToEndMilliseconds: Double(MonotonicClock.now() - now) * 1e-6,
            publishedUnixNanoseconds: MonotonicClock.unixNow(),
            windowEndSensorNanoseconds: span.upperBound &- window.sensorOffset)
        state.sequence += 1
        subjects[window.subject] = state
        return event
    }

    /// Forgets an evicted subject's smoothing history; its `seq` goes on where it stopped if it comes back.
    public mutating func forget(subject: UInt32) {
        guard let state = subjects.removeValue(forKey: subject) else { return }
        forgotten[subject] = state.sequence
        forgottenOrder.append(subject)
        while forgotten.count > Self.rememberedSubjects, !forgottenOrder.isEmpty {
            if let sequence = forgotten.removeValue(forKey: forgottenOrder.removeFirst()) {
                nextSequence = max(nextSequence, sequence)
            }
        }
        // Ids heard from again leave stale entries behind: drop them once they outnumber the live ones.
        if forgottenOrder.count > 2 * Self.rememberedSubjects {
            var seen = Set<UInt32>()
            forgottenOrder = forgottenOrder.reversed().filter { forgotten[$0] != nil && seen.insert($0).inserted }
                .reversed()
        }
    }

    /// A new model with other classes: smoothing histories restart, sequence numbers go on.
    public mutating func restartSmoothing() {
        subjects = subjects.mapValues {
            SubjectLabels(smoother: LabelSmoother(policy: smoothing), sequence: $0.sequence)
        }
    }

    private mutating func labelState(_ subject: UInt32) -> SubjectLabels {
        if let state = subjects[subject] { return state }
        let sequence = forgotten.removeValue(forKey: subject) ?? nextSequence
        return SubjectLabels(smoother: LabelSmoother(policy: smoothing), sequence: sequence)
    }
}

/// What the composer keeps per subject between label events.
struct SubjectLabels: Sendable {
    /// What a window's centre lay in, as far as smoothing is concerned.
    enum Context: Equatable, Sendable {
        /// The segmenter had no say (off, or not that far yet).
        case unsegmented
        case idle
        case action(UInt64)
    }

    var smoother: LabelSmoother
    var sequence: UInt64 = 0
    /// The context of the previous window.
    var context = Context.unsegmented

    /// Moves to the context of the next window; the smoothing history restarts when it changes.
    mutating func enter(_ next: Context) {
        if next != context { smoother.reset() }
        context = next
    }
}
