import CMCCore
import CMCTestSupport
import XCTest
@testable import CMCStream

/// A running pipeline wired to test sockets over `inproc://` (one shared context). The test thread owns
/// the publishers and the label subscriber. Sensor timestamps use the shared-clock mode and start 60 s
/// in the past, so a test can feed data faster than real time without it looking like the future.
final class PipelineHarness {
    let context: ZMQContext
    let pipeline: StreamPipeline
    let imu: ZMQSocket
    let skeleton: ZMQSocket
    let labels: ZMQSocket
    let logs = LogCapture()
    private var cursor: [UInt32: (time: Int64, imuSeq: UInt64, skelSeq: UInt64)] = [:]
    private let origin = MonotonicClock.now() - 60_000_000_000
    static let probeSubject: UInt32 = 4_000_000_000

    init(
        classifier: any WindowClassifier = TestClassifier(), notifier: SystemdNotifier? = nil,
        configure: (inout PipelineConfig) -> Void = { _ in }
    ) throws {
        context = try ZMQContext()
        let id = UUID().uuidString
        var config = PipelineConfig(
            imuEndpoints: [.bind("inproc://imu-\(id)")], skeletonEndpoints: [.bind("inproc://skel-\(id)")],
            labelEndpoints: [.bind("inproc://labels-\(id)")])
        config.clock.mode = .shared
        config.segmentation.enabled = false // constant test signals: every window would be idle
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0.5, topK: 2)
        configure(&config)
        pipeline = try StreamPipeline(
            config: config, classifier: classifier, logger: logs.logger(), notifier: notifier, context: context)
        try pipeline.start()
        imu = try ZMQSocket(context: context, type: .pub)
        try imu.connect("inproc://imu-\(id)")
        skeleton = try ZMQSocket(context: context, type: .pub)
        try skeleton.connect("inproc://skel-\(id)")
        labels = try ZMQSocket(context: context, type: .sub)
        try labels.subscribe(Topic.allLabels)
        try labels.connect("inproc://labels-\(id)")
        // Handshake (slow joiner): probe until the pipeline has counted a frame on each input.
        let m = pipeline.metrics
        var seq: UInt64 = 0
        try eventually(timeout: 5, "inputs joined") {
            seq += 1
            try imu.send(
                FrameCodec.message(
                    Frames.imu(subject: Self.probeSubject, sequence: seq, start: origin + Int64(seq) * 100_000_000)))
            try skeleton.send(
                FrameCodec.message(
                    Frames.skeleton(subject: Self.probeSubject, sequence: seq, start: origin + Int64(seq) * 100_000_000)
                ))
            Thread.sleep(forTimeInterval: 0.002)
            return m.received(.inertial).current > 0 && m.received(.skeleton).current > 0
        }
    }

    deinit { pipeline.stop() }

    /// Publishes the next `seconds` of a subject's data (IMU 50 Hz in chunks of 5, skeleton 30 Hz in chunks of 3).
    func feed(
        subject: UInt32, seconds: Double, value: Float, imu sendIMU: Bool = true, skeleton sendSkeleton: Bool = true
    ) throws {
        var c = cursor[subject] ?? (origin, 0, 0)
        let end = c.time + Int64(seconds * 1e9)
        for f in Frames.stream(subject: subject, end: end, seconds: seconds, value: value) {
            let isIMU = f.modality == .inertial
            guard isIMU ? sendIMU : sendSkeleton else { continue }
            var g = f
            g.sequence = isIMU ? c.imuSeq : c.skelSeq
            if isIMU { c.imuSeq += 1 } else { c.skelSeq += 1 }
            try (isIMU ? imu : skeleton).send(FrameCodec.message(g))
        }
        c.time = end
        cursor[subject] = c
    }

    /// Label events received within `timeout`, stopping early once `until` holds.
    func receiveLabels(timeout: Double = 3, until: ([LabelEvent]) -> Bool) throws -> [LabelEvent] {
        var events: [LabelEvent] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && !until(events) {
            guard try ZMQPoll.readable([labels], timeoutMilliseconds: 20)[0] else { continue }
            while let parts = try labels.receive(dontWait: true) {
                events.append(try LabelEvent.decode(message: parts))
            }
        }
        return events
    }

    /// Streams `seconds` of data for each subject in hop-sized steps, collecting labels as they come.
    func run(seconds: Double, subjects: [UInt32: Float], imu: Bool = true, skeleton: Bool = true) throws -> [LabelEvent]
    {
        var events: [LabelEvent] = []
        for _ in 0..<Int(seconds / 0.5) {
            for (s, v) in subjects.sorted(by: { $0.key < $1.key }) {
                try feed(subject: s, seconds: 0.5, value: v, imu: imu, skeleton: skeleton)
            }
            events += try receiveLabels(timeout: 0.05) { _ in false }
        }
        return events + (try receiveLabels(timeout: 0.3) { _ in false })
    }
}
