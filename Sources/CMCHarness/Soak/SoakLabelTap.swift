import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// What the soak's label consumer saw.
public struct SoakLabels: Codable, Sendable {
    public var received = 0
    public var undecodable = 0
    /// Events whose per-subject `seq` skipped numbers: lost between cmcd and this consumer, or (reported,
    /// not a failure) an invented id that cmcd forgot among more subjects than it remembers the `seq` of
    /// (protocol §5.1: such a subject goes on above every number given before).
    public var sequenceGaps = 0
    /// The same, for the well-behaved subjects (1…N) only: labels lost, a failure.
    public var wellBehavedSequenceGaps = 0
    /// Well-behaved subjects that got at least one label.
    public var wellBehavedSubjects = 0
    /// The longest a well-behaved subject whose sensor clocks never stepped went without a label (after
    /// its first), and which subject: a subject locked out of cmcd's table (by squatters) shows here.
    public var longestSilenceSeconds = 0.0
    public var longestSilenceSubject: UInt32 = 0
    /// The same over the subjects whose clocks stepped (reported apart: the step is adopted only after it
    /// persisted 2 s, and a window of data on the new clock must arrive before the next label).
    public var longestSilenceAfterClockJumpSeconds = 0.0
    /// Subjects outside 1…N, other than the flooder's, that got a label (invented ids that got a window).
    public var otherSubjects = 0
    public var fallback = 0
    public var unknown = 0
    public var subjects = 0
    /// The daemon's own `end_to_end_ms` (arrival completing the window → publication).
    public var endToEndMs = LatencyStats([])
    public var inferenceMs = LatencyStats([])

    enum CodingKeys: String, CodingKey {
        case received, undecodable, fallback, unknown, subjects
        case sequenceGaps = "sequence_gaps", endToEndMs = "end_to_end_ms", inferenceMs = "inference_ms"
        case wellBehavedSequenceGaps = "well_behaved_sequence_gaps", wellBehavedSubjects = "well_behaved_subjects"
        case longestSilenceSeconds = "longest_silence_seconds", longestSilenceSubject = "longest_silence_subject"
        case longestSilenceAfterClockJumpSeconds = "longest_silence_after_clock_jump_seconds"
        case otherSubjects = "other_subjects"
    }
}

/// Counts every label event (a `LabelCollector` that keeps nothing but these counts, the last sequence
/// number per subject and every event's latency: 8 bytes each, ~300 KB for a 10-minute soak at 64
/// events/s).
final class SoakLabelTap: Sendable {
    private struct State {
        var labels = SoakLabels()
        var lastSequence: [UInt32: UInt64] = [:]
        /// CLOCK_MONOTONIC ns of each well-behaved subject's last label, and its longest wait for one.
        var lastLabel: [UInt32: Int64] = [:]
        var longestSilence: [UInt32: Double] = [:]
        var endToEnd: [Double] = [], inference: [Double] = []
    }

    private let state: Locked<State>
    private let collector: LabelCollector

    /// - Parameter wellBehaved: the ids of the subjects whose labels must keep coming.
    init(endpoint: String, curve: CurveClient?, context: ZMQContext, wellBehaved: ClosedRange<UInt32>) throws {
        let state = Locked(State())
        self.state = state
        collector = LabelCollector(endpoints: [.connect(endpoint)], context: context, curve: curve, keep: false) {
            received in
            let e = received.event
            state.withLock { s in
                s.labels.received += 1
                let gap = s.lastSequence[e.subject].map { e.sequence > $0 + 1 } ?? false
                if gap { s.labels.sequenceGaps += 1 }
                if wellBehaved.contains(e.subject) {
                    let now = MonotonicClock.now()
                    if gap { s.labels.wellBehavedSequenceGaps += 1 }
                    let silence = s.lastLabel[e.subject].map { Double(now - $0) * 1e-9 } ?? 0
                    s.longestSilence[e.subject] = max(silence, s.longestSilence[e.subject] ?? 0)
                    s.lastLabel[e.subject] = now
                } else if e.subject != SoakFlooder.subject && s.lastSequence[e.subject] == nil {
                    s.labels.otherSubjects += 1
                }
                s.lastSequence[e.subject] = e.sequence
                if e.fallback { s.labels.fallback += 1 }
                if e.labelIndex == -1 { s.labels.unknown += 1 } // "unknown"; idle (-2) is a decision
                s.endToEnd.append(e.endToEndMilliseconds)
                s.inference.append(e.inferenceMilliseconds)
            }
        }
        try collector.start()
    }

    var received: Int { state.current.labels.received }

    /// - Parameter clockJumped: subjects whose silences are reported apart (see `SoakLabels`).
    func stop(clockJumped: Set<UInt32>) -> SoakLabels {
        collector.stop()
        return state.withLock { s in
            var out = s.labels
            out.undecodable = collector.rejected
            out.subjects = s.lastSequence.count
            out.wellBehavedSubjects = s.lastLabel.count
            for (subject, silence) in s.longestSilence {
                if clockJumped.contains(subject) {
                    out.longestSilenceAfterClockJumpSeconds = max(out.longestSilenceAfterClockJumpSeconds, silence)
                } else if silence > out.longestSilenceSeconds {
                    (out.longestSilenceSeconds, out.longestSilenceSubject) = (silence, subject)
                }
            }
            out.endToEndMs = LatencyStats(s.endToEnd)
            out.inferenceMs = LatencyStats(s.inference)
            return out
        }
    }
}
