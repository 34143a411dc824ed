import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// What the soak's label consumer saw.
public struct SoakLabels: Codable, Sendable {
    public var received = 0
    public var undecodable = 0
    /// Events whose per-subject `seq` skipped numbers (lost between cmcd and this consumer).
    public var sequenceGaps = 0
    public var fallback = 0
    public var unknown = 0
    public var subjects = 0
    /// The daemon's own `end_to_end_ms` (arrival completing the window → publication).
    public var endToEndMs = LatencyStats([])
    public var inferenceMs = LatencyStats([])

    enum CodingKeys: String, CodingKey {
        case received, undecodable, fallback, unknown, subjects
        case sequenceGaps = "sequence_gaps", endToEndMs = "end_to_end_ms", inferenceMs = "inference_ms"
    }
}

/// Counts every label event (a `LabelCollector` that keeps nothing but these counts, the last sequence
/// number per subject and every event's latency: 8 bytes each, ~300 KB for a 10-minute soak at 64
/// events/s).
final class SoakLabelTap: Sendable {
    private struct State {
        var labels = SoakLabels()
        var lastSequence: [UInt32: UInt64] = [:]
        var endToEnd: [Double] = [], inference: [Double] = []
    }

    private let state: Locked<State>
    private let collector: LabelCollector

    init(endpoint: String, curve: CurveClient?, context: ZMQContext) throws {
        let state = Locked(State())
        self.state = state
        collector = LabelCollector(endpoints: [.connect(endpoint)], context: context, curve: curve, keep: false) { received in
            let e = received.event
            state.withLock { s in
                s.labels.received += 1
                if let last = s.lastSequence[e.subject], e.sequence > last + 1 { s.labels.sequenceGaps += 1 }
                s.lastSequence[e.subject] = e.sequence
                if e.fallback { s.labels.fallback += 1 }
                if e.labelIndex == -1 { s.labels.unknown += 1 }  // "unknown"; idle (-2) is a decision
                s.endToEnd.append(e.endToEndMilliseconds)
                s.inference.append(e.inferenceMilliseconds)
            }
        }
        try collector.start()
    }

    var received: Int { state.current.labels.received }

    func stop() -> SoakLabels {
        collector.stop()
        return state.withLock { s in
            var out = s.labels
            out.undecodable = collector.rejected
            out.subjects = s.lastSequence.count
            out.endToEndMs = LatencyStats(s.endToEnd)
            out.inferenceMs = LatencyStats(s.inference)
            return out
        }
    }
}
