import CMCDaemon
import CMCCore
import CMCStream
import Foundation

/// What the soak's publishers did, for the report.
public struct SoakSendCounts: Codable, Sendable {
    /// Frames sent per stream (`imu`, `skeleton`), duplicates included.
    public var frames: [String: Int] = [:]
    public var duplicates = 0
    /// Frames held back and sent after their successor.
    public var reordered = 0
    public var dropouts = 0
    public var reconnects = 0
    /// Reconnections that restarted the sequence number at 0 (a sensor reboot).
    public var sequenceRestarts = 0
    public var clockJumps = 0
    /// Subjects one of whose sensor clocks stepped (sorted).
    public var clockJumpSubjects: [UInt32] = []
    public var floodFrames = 0
    public var floodMalformed = 0
    public var floodBursts = 0

    enum CodingKeys: String, CodingKey {
        case frames, duplicates, reordered, dropouts, reconnects, clockJumps = "clock_jumps"
        case clockJumpSubjects = "clock_jump_subjects"
        case sequenceRestarts = "sequence_restarts", floodFrames = "flood_frames", floodMalformed = "flood_malformed",
            floodBursts = "flood_bursts"
    }
}

/// The simulated sensors: one PUB socket per subject and stream (as separate devices would have), all
/// owned by one thread that sends every frame when due, `speed` times faster than real time, and
/// injects the soak's trouble: dropouts with reconnection, clock steps, reordered and duplicated frames.
final class SoakSender {
    private struct Stream {
        let subject: UInt32
        let modality: Modality
        var socket: ZMQSocket?
        var sequence: UInt64 = 0
        /// Sensor time of the next frame's first sample (before the clock origin is added).
        var sensorTime: Int64 = 0
        /// CLOCK_MONOTONIC ns at which the next frame leaves.
        var due: Int64
        var sample = 0
        /// While disconnected: when the outage started (the sensor clock runs at 1× meanwhile).
        var downSince: Int64?
        /// A frame held back to be sent after the next one.
        var held: [[UInt8]]?
    }

    private enum Fault {
        case dropout(subject: UInt32, modalities: [Modality], seconds: Double)
        case clockJump(subject: UInt32, modality: Modality, nanoseconds: Int64)
    }

    private let options: SoakOptions
    private let signals: SoakSignals
    private let endpoints: [Modality: String]
    private let curve: CurveClient?
    private let context: ZMQContext
    private let origin: Int64
    private var streams: [Stream] = []
    private var faults: [(at: Int64, fault: Fault)] = []
    private var rng: SeededRNG
    private(set) var counts = SoakSendCounts()

    /// - Parameter origin: added to every sensor time (a per-deployment epoch; see `SoakOptions.clock`).
    init(
        options: SoakOptions, signals: SoakSignals, endpoints: [Modality: String], curve: CurveClient?,
        context: ZMQContext,
        start: Int64, origin: Int64
    ) {
        self.options = options
        self.signals = signals
        self.endpoints = endpoints
        self.curve = curve
        self.context = context
        self.origin = origin
        rng = SeededRNG(seed: options.seed)
        for s in 0..<options.subjects {
            for m in Modality.allCases where signals.has(m) && endpoints[m] != nil {
                // Phases spread over a frame so the subjects' frames interleave as independent sensors would.
                let frameWall = Double(signals.chunk(m)) / signals.rate(m) / options.speed
                streams.append(
                    Stream(
                        subject: UInt32(s + 1), modality: m,
                        due: start + Int64(Double.random(in: 0..<frameWall, using: &rng) * 1e9)))
            }
        }
        planFaults(start: start)
    }

    /// Trouble at random times (seeded), from 5 s in until 5 s before the end.
    private func planFaults(start: Int64) {
        func times(every: Double) -> [Int64] {
            guard every > 0 else { return [] }
            var t = 5.0
            var out: [Int64] = []
            while true {
                t += every * Double.random(in: 0.5...1.5, using: &rng)
                if t > options.seconds - 5 { return out }
                out.append(start + Int64(t * 1e9))
            }
        }
        let kinds: [[Modality]] = [[.inertial, .skeleton], [.inertial], [.skeleton]]
        for at in times(every: options.dropoutEverySeconds) {
            faults.append(
                (
                    at,
                    .dropout(
                        subject: UInt32.random(in: 1...UInt32(options.subjects), using: &rng),
                        modalities: kinds.randomElement(using: &rng)!, seconds: Double.random(in: 2...6, using: &rng))
                ))
        }
        for at in times(every: options.clockJumpEverySeconds) {
            let size = Int64(Double.random(in: 2...5, using: &rng) * 1e9) * (Bool.random(using: &rng) ? 1 : -1)
            faults.append(
                (
                    at,
                    .clockJump(
                        subject: UInt32.random(in: 1...UInt32(options.subjects), using: &rng),
                        modality: Bool.random(using: &rng) ? .inertial : .skeleton, nanoseconds: size)
                ))
        }
        faults.sort { $0.at < $1.at }
    }

    /// Sends until `end` (CLOCK_MONOTONIC ns) or `shouldStop`; closes every socket.
    func run(end: Int64, shouldStop: () -> Bool) throws {
        for i in streams.indices { streams[i].socket = try open(streams[i].modality) }
        defer { for i in streams.indices { streams[i].socket?.close() } }
        var nextFault = 0
        while !shouldStop() {
            let now = MonotonicClock.now()
            if now >= end { return }
            while nextFault < faults.count && faults[nextFault].at <= now {
                apply(faults[nextFault].fault, now: now)
                nextFault += 1
            }
            guard var best = streams.indices.first else {
                ReplaySender.sleep(nanoseconds: end - now)
                return
            }
            for i in streams.indices where streams[i].due < streams[best].due { best = i }
            let wake = min(streams[best].due, nextFault < faults.count ? faults[nextFault].at : end, end)
            if wake > now {
                ReplaySender.sleep(nanoseconds: wake - now)
                continue
            }
            try emit(best, now: now)
        }
    }

    private func open(_ modality: Modality) throws -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: .pub)
        try socket.setHighWaterMarks(send: 10_000)
        try socket.attach([.connect(endpoints[modality]!)], curve: curve)
        return socket
    }

    private func apply(_ fault: Fault, now: Int64) {
        switch fault {
        case .dropout(let subject, let modalities, let seconds):
            var hit = false
            for i in streams.indices
            where streams[i].subject == subject && modalities.contains(streams[i].modality)
                && streams[i].downSince == nil
            {
                streams[i].socket?.close()
                streams[i].socket = nil
                streams[i].held = nil
                streams[i].downSince = max(now, streams[i].due)
                streams[i].due = now + Int64(seconds * 1e9)
                hit = true
            }
            if hit { counts.dropouts += 1 }
        case .clockJump(let subject, let modality, let nanoseconds):
            guard let i = streams.firstIndex(where: { $0.subject == subject && $0.modality == modality }) else {
                return
            }
            streams[i].sensorTime += nanoseconds
            counts.clockJumps += 1
            counts.clockJumpSubjects = Array(Set(counts.clockJumpSubjects + [subject])).sorted()
        }
    }

    private func emit(_ i: Int, now: Int64) throws {
        var s = streams[i]
        defer { streams[i] = s }
        if let since = s.downSince {
            // Back online: the sensor's clock kept running in real time while it was away.
            s.socket = try open(s.modality)
            s.sensorTime += max(0, now - since)
            s.downSince = nil
            counts.reconnects += 1
            if Bool.random(using: &rng) {
                s.sequence = 0
                counts.sequenceRestarts += 1
            }
        }
        let n = signals.chunk(s.modality)
        let period = Int64((1e9 / signals.rate(s.modality)).rounded())
        let frame = signals.frame(
            s.modality, subject: s.subject, sequence: s.sequence, start: origin + s.sensorTime, firstSample: s.sample)
        let message = FrameCodec.message(frame)
        s.sequence += 1
        s.sample += n
        s.sensorTime += Int64(n) * period
        s.due += Int64(Double(Int64(n) * period) / options.speed)
        guard let socket = s.socket else { return }
        let name = s.modality.description
        func send(_ parts: [[UInt8]]) throws {
            try socket.send(parts, dontWait: true)
            counts.frames[name, default: 0] += 1
        }
        if let held = s.held {
            try send(message)
            try send(held)
            s.held = nil
            counts.reordered += 1
        } else if Double.random(in: 0..<1, using: &rng) < options.reorderProbability {
            s.held = message
        } else {
            try send(message)
            if Double.random(in: 0..<1, using: &rng) < options.duplicateProbability {
                try send(message)
                counts.duplicates += 1
            }
        }
    }
}
