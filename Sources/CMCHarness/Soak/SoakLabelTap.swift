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

/// Subscribes to every label event on its own thread and keeps counts, the last sequence number per
/// subject, and every event's latency (8 bytes each: a 10-minute soak at 64 events/s keeps ~300 KB).
final class SoakLabelTap: Sendable {
    private struct State {
        var labels = SoakLabels()
        var lastSequence: [UInt32: UInt64] = [:]
        var endToEnd: [Double] = [], inference: [Double] = []
    }

    private let state = Locked(State())
    private let stopRequested = Locked(false)
    private let finished = DispatchSemaphore(value: 0)

    init(endpoint: String, curve: CurveClient?, context: ZMQContext) throws {
        let ready = DispatchSemaphore(value: 0)
        let failure = Locked<(any Error)?>(nil)
        let thread = Thread { [state, stopRequested, finished] in
            defer { finished.signal() }
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .sub)
                try socket.setHighWaterMarks(receive: 100_000)
                try socket.subscribe(Topic.allLabels)
                try socket.attach([.connect(endpoint)], curve: curve)
            } catch {
                failure.withLock { $0 = error }
                ready.signal()
                return
            }
            defer { socket.close() }
            ready.signal()
            while !stopRequested.current {
                guard (try? ZMQPoll.readable([socket], timeoutMilliseconds: 100))?.first == true else { continue }
                while let parts = try? socket.receive(dontWait: true) {
                    state.withLock { s in
                        guard let e = try? LabelEvent.decode(message: parts) else { s.labels.undecodable += 1; return }
                        s.labels.received += 1
                        if let last = s.lastSequence[e.subject], e.sequence > last + 1 { s.labels.sequenceGaps += 1 }
                        s.lastSequence[e.subject] = e.sequence
                        if e.fallback { s.labels.fallback += 1 }
                        if e.labelIndex < 0 { s.labels.unknown += 1 }
                        s.endToEnd.append(e.endToEndMilliseconds)
                        s.inference.append(e.inferenceMilliseconds)
                    }
                }
            }
        }
        thread.name = "soak-labels"
        thread.start()
        ready.wait()
        if let error = failure.current { finished.wait(); throw error }
    }

    var received: Int { state.current.labels.received }

    func stop() -> SoakLabels {
        stopRequested.withLock { $0 = true }
        finished.wait()
        return state.withLock { s in
            var out = s.labels
            out.subjects = s.lastSequence.count
            out.endToEndMs = LatencyStats(s.endToEnd)
            out.inferenceMs = LatencyStats(s.inference)
            return out
        }
    }
}
