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
        let first = stopped.withLock { s in defer { s = true }; return !s }
        if first { finished.wait() }
    }
}
