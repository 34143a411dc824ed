import CMCDaemon
import CMCCore
import CMCStream
import Foundation

/// The misbehaving publisher of the soak: in bursts it sends one subject's IMU frames far above the
/// daemon's per-stream limit, mixed with malformed messages (garbage, truncated frames, an unknown
/// version, NaN samples, a topic that does not match the payload). Nothing it sends may crash the
/// daemon or slow the well-behaved subjects down.
final class SoakFlooder {
    static let subject: UInt32 = 999_999

    private let options: SoakOptions
    private let signals: SoakSignals
    private let socket: ZMQSocket
    private var rng: SeededRNG
    private(set) var frames = 0, malformed = 0, bursts = 0

    init(options: SoakOptions, signals: SoakSignals, endpoint: String, curve: CurveClient?, context: ZMQContext) throws
    {
        self.options = options
        self.signals = signals
        rng = SeededRNG(seed: options.seed &+ 17)
        socket = try ZMQSocket(context: context, type: .pub)
        try socket.setHighWaterMarks(send: 100_000)
        try socket.attach([.connect(endpoint)], curve: curve)
    }

    func run(start: Int64, end: Int64, shouldStop: () -> Bool) throws {
        defer { socket.close() }
        let cycle = options.floodBurstSeconds + options.floodPauseSeconds
        guard options.floodRate > 0, options.floodBurstSeconds > 0 else { return }
        let tick = 0.005
        let perTick = max(1, Int(options.floodRate * tick))
        var sequence: UInt64 = 0
        var inBurst = false
        while !shouldStop() {
            let now = MonotonicClock.now()
            if now >= end { return }
            // Bursts start 3 s in, so the first measurements see a quiet daemon.
            let phase = (Double(now - start) * 1e-9 - 3).truncatingRemainder(dividingBy: cycle)
            let burst = Double(now - start) * 1e-9 >= 3 && phase < options.floodBurstSeconds
            if burst && !inBurst { bursts += 1 }
            inBurst = burst
            if burst {
                for i in 0..<perTick {
                    // Distinct times, so the frames that pass the rate limit are not also duplicates of each other.
                    let frame = signals.frame(
                        .inertial, subject: Self.subject, sequence: sequence,
                        start: now - 100_000_000 + Int64(i) * 1_000,
                        firstSample: Int(sequence) * 5)
                    sequence += 1
                    if Double.random(in: 0..<1, using: &rng) < options.malformedFraction {
                        try socket.send(corrupt(FrameCodec.message(frame)), dontWait: true)
                        malformed += 1
                    } else {
                        try socket.send(FrameCodec.message(frame), dontWait: true)
                        frames += 1
                    }
                }
            }
            ReplaySender.sleep(seconds: tick)
        }
    }

    /// One of the malformations the daemon must reject (and count) without harm.
    private func corrupt(_ parts: [[UInt8]]) -> [[UInt8]] {
        var payload = parts[1]
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: payload = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 1: payload.removeLast(Int.random(in: 1...min(40, payload.count), using: &rng))
        case 2: payload[4] = 9 // header.version
        // a NaN sample
        case 3: payload.replaceSubrange(payload.count - 4..<payload.count, with: [0x00, 0x00, 0xC0, 0x7F])
        default: return [Array("imu/4242/".utf8), payload] // topic and subject disagree
        }
        return [parts[0], payload]
    }
}
