import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// How a replay is paced and chunked.
public struct SendOptions: Sendable {
    /// 1 = real time, 4 = four times faster; 0 or infinity = as fast as possible.
    public var speed = 1.0
    /// Samples per IMU frame (5 at 50 Hz = one frame per 100 ms) and per skeleton frame.
    public var imuChunk = 5
    public var skeletonChunk = 2
    /// Pause between connecting and the first frame, so the receivers' subscriptions arrive first
    /// (a PUB drops what it sends before that: ZeroMQ's "slow joiner").
    public var warmupSeconds = 0.5
    public var sendHighWaterMark: Int32 = 200_000

    public init() {}

    var paced: Bool { speed.isFinite && speed > 0 }
}

/// What was sent when: the evaluation's link between label events and the replayed timelines.
public struct SendLog: Sendable {
    public struct Record: Sendable {
        public var stream: Int32
        public var modality: Modality
        /// CLOCK_MONOTONIC ns at which the frame left.
        public var sentAt: Int64
        /// Timeline ns of the frame's last sample.
        public var lastSample: Int64
    }

    /// Sensor timestamp = `origin` + timeline ns (CLOCK_MONOTONIC-based, see `ReplaySender`).
    public var origin: Int64
    /// CLOCK_MONOTONIC ns at timeline 0.
    public var startedAt: Int64
    public var speed: Double
    public var records: [Record] = []
    /// Frames sent per modality.
    public var sent: [Modality: Int] = [:]
    public var finishedAt: Int64 = 0
}

/// Streams scripts to the daemon: one thread, one PUB socket per stream kind, every subject's frames
/// merged in time order and sent when due.
///
/// Sensor timestamps are `origin + timeline time`, with `origin` = CLOCK_MONOTONIC at timeline 0 minus
/// `duration × (1 − 1/speed)`. In real time that is exactly when a live sensor would have taken the
/// sample (the daemon's aligned clock sees only transport delay); faster than real time the stamps run
/// ahead of the wall clock but never past it, so a daemon in `shared` clock mode accepts them too.
public enum ReplaySender {
    public static func run(
        scripts: [StreamScript], imu: [Endpoint], skeleton: [Endpoint], curve: CurveClient? = nil, options: SendOptions,
        context: ZMQContext, progress: ((Double) -> Void)? = nil, shouldStop: () -> Bool = { false }
    ) throws -> SendLog {
        let frames = FrameSchedule.frames(scripts, imuChunk: options.imuChunk, skeletonChunk: options.skeletonChunk)
        let imuSocket = try publisher(imu, context: context, hwm: options.sendHighWaterMark, curve: curve)
        let skeletonSocket = try publisher(skeleton, context: context, hwm: options.sendHighWaterMark, curve: curve)
        defer {
            imuSocket?.close()
            skeletonSocket?.close()
        }
        sleep(seconds: options.warmupSeconds)

        let duration = Int64((scripts.map(\.duration).max() ?? 0) * 1e9)
        let start = MonotonicClock.now()
        let lag = options.paced ? Int64(Double(duration) * max(0, 1 - 1 / options.speed)) : duration
        var log = SendLog(origin: start - lag, startedAt: start, speed: options.speed)
        log.records.reserveCapacity(frames.count)
        var lastProgress = start
        for scheduled in frames {
            if shouldStop() { break }
            if options.paced {
                let due = start + Int64(Double(scheduled.due) / options.speed)
                sleep(nanoseconds: due - MonotonicClock.now())
            }
            var frame = scheduled.frame
            if case .regular(let t0, let period) = frame.timing {
                frame.timing = .regular(start: t0 + log.origin, periodNanoseconds: period)
            }
            let modality = frame.modality
            guard let socket = modality == .inertial ? imuSocket : skeletonSocket else { continue }
            try socket.send(FrameCodec.message(frame))
            let now = MonotonicClock.now()
            log.records.append(
                .init(stream: scheduled.stream, modality: modality, sentAt: now, lastSample: scheduled.due))
            log.sent[modality, default: 0] += 1
            if let progress, now - lastProgress > 1_000_000_000 {
                progress(duration > 0 ? Double(scheduled.due) / Double(duration) : 1)
                lastProgress = now
            }
        }
        log.finishedAt = MonotonicClock.now()
        return log
    }

    static func publisher(_ endpoints: [Endpoint], context: ZMQContext, hwm: Int32, curve: CurveClient? = nil) throws
        -> ZMQSocket?
    {
        guard !endpoints.isEmpty else { return nil }
        // Linger: frames still queued when the replay ends are delivered, not dropped.
        let socket = try ZMQSocket(context: context, type: .pub, lingerMilliseconds: 2000)
        try socket.setHighWaterMarks(send: hwm)
        try socket.attach(endpoints, curve: curve)
        return socket
    }

    static func sleep(seconds: Double) { sleep(nanoseconds: Int64(seconds * 1e9)) }

    static func sleep(nanoseconds: Int64) {
        guard nanoseconds > 0 else { return }
        var ts = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var rest = timespec()
        while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
    }
}
