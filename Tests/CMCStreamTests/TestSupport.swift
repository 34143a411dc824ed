import CMCCore
import Foundation
import Logging
import XCTest
@testable import CMCStream

/// A deterministic classifier for tests: the class is the rounded mean of IMU channel 0 (or, without
/// IMU, of skeleton coordinate 0 of joint 0), modulo the class count, with probability 0.9.
struct TestClassifier: WindowClassifier {
    static let classes = ["still", "walk", "wave"]
    var spec = ClassifierSpec(
        classNames: TestClassifier.classes, windowSeconds: 1.0, inertialChannels: 3,
        skeletonCoordinates: 3, skeletonJoints: 4)
    /// Added to the chosen index, so a reloaded classifier visibly answers differently.
    var shift = 0
    var delaySeconds = 0.0

    func classify(_ window: Window) throws -> Classification {
        if delaySeconds > 0 { Thread.sleep(forTimeInterval: delaySeconds) }
        let mean: Float
        if let w = window.inertial {
            mean = w.values[0..<w.count].reduce(0, +) / Float(w.count) // channel 0 is the first T values
        } else if let s = window.skeleton {
            mean = (0..<s.count).map { s.values[$0 * s.joints] }.reduce(0, +) / Float(s.count)
        } else {
            throw WireError("window", .invalid("empty"))
        }
        let n = spec.classNames.count
        let index = ((Int(mean.rounded()) + shift) % n + n) % n
        var p = [Float](repeating: 0.1 / Float(n - 1), count: n)
        p[index] = 0.9
        return Classification(probabilities: p)
    }
}

enum Frames {
    static func imu(
        subject: UInt32, sequence: UInt64, start: Int64, samples: Int = 5, periodNs: UInt32 = 20_000_000,
        value: Float = 1, channels: Int = 3, units: [SensorUnit]? = nil
    ) -> SensorFrame {
        SensorFrame(
            modality: .inertial, subject: subject, sequence: sequence, channels: channels, joints: 0, units: units,
            timing: .regular(start: start, periodNanoseconds: periodNs),
            values: (0..<samples * channels).map { i in i % channels == 0 ? value : Float(i % channels) })
    }

    static func skeleton(
        subject: UInt32, sequence: UInt64, start: Int64, samples: Int = 3, periodNs: UInt32 = 33_333_333,
        value: Float = 1, joints: Int = 4, coordinates: Int = 3
    ) -> SensorFrame {
        SensorFrame(
            modality: .skeleton, subject: subject, sequence: sequence, channels: coordinates, joints: joints,
            timing: .regular(start: start, periodNanoseconds: periodNs),
            values: (0..<samples * joints * coordinates).map { i in i % (joints * coordinates) == 0 ? value : 0.5 })
    }

    /// `seconds` of IMU (50 Hz, chunks of 5) and skeleton (30 Hz, chunks of 3) ending at `end`.
    static func stream(
        subject: UInt32, end: Int64, seconds: Double, value: Float, skeleton withSkeleton: Bool = true,
        firstSequence: UInt64 = 0
    ) -> [SensorFrame] {
        var frames: [SensorFrame] = []
        let start = end - Int64(seconds * 1e9)
        var seq = firstSequence
        var t = start
        while t + 4 * 20_000_000 <= end {
            frames.append(imu(subject: subject, sequence: seq, start: t, value: value))
            seq += 1
            t += 5 * 20_000_000
        }
        if withSkeleton {
            seq = firstSequence
            t = start
            while t + 2 * 33_333_333 <= end {
                frames.append(skeleton(subject: subject, sequence: seq, start: t, value: value))
                seq += 1
                t += 3 * 33_333_333
            }
        }
        return frames.sorted { $0.timing.start < $1.timing.start }
    }
}

/// A SUB socket that has provably joined a PUB: sends probes on `probe` until one arrives.
/// `probe` publishes one message whose topic matches `prefix`.
func joinedSubscriber(context: ZMQContext, connect endpoint: String, prefix: String, probe: () throws -> Void) throws
    -> ZMQSocket
{
    let sub = try ZMQSocket(context: context, type: .sub)
    try sub.subscribe(prefix)
    try sub.connect(endpoint)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
        try probe()
        if try !ZMQPoll.readable([sub], timeoutMilliseconds: 20)[0] { continue }
        while try sub.receive(dontWait: true) != nil {} // discard the probes
        return sub
    }
    throw ZMQError(code: ETIMEDOUT, operation: "subscriber handshake")
}

/// Collects every log line as journald would receive it (`<N>message key=value…`), for asserting on what
/// the pipeline logs.
final class LogCapture: Sendable {
    let lines = Locked([String]())

    func logger(level: Logger.Level = .debug, format: LineLogHandler.Format = .text) -> Logger {
        let lines = self.lines
        return Logger(label: "test") { _ in
            LineLogHandler(level: level, format: format, journal: true) { line in lines.withLock { $0.append(line) } }
        }
    }
}
