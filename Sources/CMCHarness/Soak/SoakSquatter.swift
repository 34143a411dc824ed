import CMCCore
import CMCStream
import Foundation

/// The soak's subject squatter: in bursts (between the flooder's) one publisher sends well-formed IMU
/// frames for subject ids it invents, one id per frame, cycling through more ids than cmcd's subject
/// table holds. Each id then falls silent until its turn comes again, as squatters do; cmcd must give
/// their slots to real subjects (the silent longest gives way), so the well-behaved subjects, including
/// those re-joining after a dropout, keep getting labels.
final class SoakSquatter {
    /// Invented ids start here (the real subjects are 1…N, the flooder 999 999).
    static let firstID: UInt32 = 1_000_000

    private let options: SoakOptions
    private let signals: SoakSignals
    private let socket: ZMQSocket
    private(set) var counts = SoakAttacks.Squat()

    init(options: SoakOptions, signals: SoakSignals, endpoint: String, curve: CurveClient?, context: ZMQContext) throws
    {
        self.options = options
        self.signals = signals
        socket = try ZMQSocket(context: context, type: .pub)
        try socket.setHighWaterMarks(send: 100_000)
        try socket.attach([.connect(endpoint)], curve: curve)
    }

    func run(start: Int64, end: Int64, shouldStop: () -> Bool) throws {
        defer { socket.close() }
        let cycle = options.floodBurstSeconds + options.floodPauseSeconds
        guard options.squatRate > 0, options.squatIDs > 0, options.floodBurstSeconds > 0 else { return }
        let tick = 0.005
        let perTick = max(1, Int(options.squatRate * tick))
        var sent = 0
        var inBurst = false
        while !shouldStop() {
            let now = MonotonicClock.now()
            if now >= end { return }
            // Bursts start as the flooder's end (3 s in, then every cycle), so each attack is seen alone.
            let elapsed = Double(now - start) * 1e-9 - 3 - options.floodBurstSeconds
            let burst = elapsed >= 0 && elapsed.truncatingRemainder(dividingBy: cycle) < options.floodBurstSeconds
            if burst && !inBurst { counts.bursts += 1 }
            inBurst = burst
            if burst {
                for i in 0..<perTick {
                    let id = Self.firstID + UInt32(sent % options.squatIDs)
                    // Each id's frames follow on from its previous ones (sequence and time), as a real sensor's
                    // would: nothing but the id distinguishes a squatter from a subject that came and went.
                    let round = sent / options.squatIDs
                    let frame = signals.frame(
                        .inertial, subject: id, sequence: UInt64(round),
                        start: now - 100_000_000 + Int64(i) * 1_000, firstSample: round * 5)
                    try socket.send(FrameCodec.message(frame), dontWait: true)
                    sent += 1
                }
                counts.frames = sent
                counts.ids = min(sent, options.squatIDs)
            }
            ReplaySender.sleep(seconds: tick)
        }
    }
}
