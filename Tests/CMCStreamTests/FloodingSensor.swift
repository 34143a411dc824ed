import CMCCore
import Foundation
@testable import CMCStream

/// A flooding sensor on its own thread (sockets belong to one thread): every `periodNanoseconds`, one
/// real-time IMU frame covering that period (50 Hz) for every subject of `subjects`, until stopped.
/// Shared by the fair-share tests: of inference time (`FairSchedulingTests`) and of subject slots
/// (`SubjectSlotTests`).
final class Flood: Sendable {
    private let stopped = Locked(false)
    private let finished = DispatchSemaphore(value: 0)

    init(context: ZMQContext, endpoint: String, curve: CurveClient, subjects: Range<UInt32>, periodNanoseconds: Int64) {
        let samplePeriod: Int64 = 20_000_000
        let samples = max(1, Int(periodNanoseconds / samplePeriod))
        let thread = Thread { [stopped, finished] in
            defer { finished.signal() }
            guard let socket = try? ZMQSocket(context: context, type: .pub) else { return }
            defer { socket.close() }
            do {
                try socket.setHighWaterMarks(send: 100_000)
                try socket.attach([.connect(endpoint)], curve: curve)
            } catch { return }
            var sequence: UInt64 = 0
            var next = MonotonicClock.now()
            while !stopped.current {
                let start = next - Int64(samples - 1) * samplePeriod
                for subject in subjects {
                    let frame = Frames.imu(subject: subject, sequence: sequence, start: start, samples: samples)
                    _ = try? socket.send(FrameCodec.message(frame), dontWait: true)
                }
                sequence += 1
                next += periodNanoseconds
                let wait = Double(next - MonotonicClock.now()) * 1e-9
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
        }
        thread.name = "test-flood"
        thread.start()
    }

    /// Stops the thread and waits for it; idempotent.
    func stop() {
        let first = stopped.withLock { s in
            defer { s = true }
            return !s
        }
        if first { finished.wait() }
    }
}

/// The fair-share tests' set-up: a CURVE pipeline on loopback (IMU in, labels out; shared clock, no
/// segmentation — constant test signals would all be idle — and no smoothing or unknown threshold) with
/// two sensor keys, `wrist-7` bound to `wristSubjects` and an unbound `flood`, and one consumer key.
/// Tests adjust `config` for what they measure.
struct FloodScenario {
    let server: CurveKeyPair, wrist: CurveKeyPair, flooder: CurveKeyPair, consumer: CurveKeyPair
    var config: PipelineConfig

    init(wristSubjects: Set<UInt32>) throws {
        server = try CurveKeys.generate()
        wrist = try CurveKeys.generate()
        flooder = try CurveKeys.generate()
        consumer = try CurveKeys.generate()
        config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.segmentation.enabled = false
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0, topK: 3)
        config.curve = PipelineCurve(
            keys: server,
            sensors: CurveAllowList(
                [wrist.publicKey: "wrist-7", flooder.publicKey: "flood"],
                subjects: ["wrist-7": wristSubjects]),
            consumers: CurveAllowList([consumer.publicKey: "dashboard"]))
    }

    func client(_ keys: CurveKeyPair) -> CurveClient { CurveClient(serverKey: server.publicKey, keys: keys) }
}
