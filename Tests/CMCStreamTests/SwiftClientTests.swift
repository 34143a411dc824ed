import CMCClient
import CMCCore
import XCTest
@testable import CMCStream

/// The Swift client library against a live pipeline: frames in through `SensorPublisher`, labels and
/// action events out through `EventSubscriber`.
final class SwiftClientTests: XCTestCase {
    func testPublisherAndSubscriberDriveThePipeline() throws {
        // A 6-channel IMU model in m/s² and rad/s, so the segmenter finds the subject's motion.
        let spec = ClassifierSpec(
            classNames: ["still", "walk", "wave"], windowSeconds: 1, inertialChannels: 6,
            inertialUnits: [
                .metresPerSecondSquared, .metresPerSecondSquared, .metresPerSecondSquared,
                .radiansPerSecond, .radiansPerSecond, .radiansPerSecond,
            ],
            skeletonCoordinates: nil, skeletonJoints: nil)
        var config = PipelineConfig(
            imuEndpoints: [.bind("tcp://127.0.0.1:*")], skeletonEndpoints: [],
            labelEndpoints: [.bind("tcp://127.0.0.1:*")])
        config.clock.mode = .shared
        config.smoothing = SmoothingPolicy(windows: 1, unknownThreshold: 0, topK: 2)
        let pipeline = try StreamPipeline(
            config: config, classifier: TestClassifier(spec: spec), logger: LogCapture().logger())
        let bound = try pipeline.start()
        defer { pipeline.stop() }

        let subscriber = try EventSubscriber(labels: bound.labels.map(Endpoint.connect), subjects: [5])
        let publisher = try SensorPublisher(imu: bound.imu.map(Endpoint.connect))
        let start = MonotonicClock.now() - 20_000_000_000
        let units: [SensorUnit] = [
            .standardGravity, .standardGravity, .standardGravity, .degreesPerSecond, .degreesPerSecond,
            .degreesPerSecond,
        ]
        // 4 s: rest, a 2 Hz swing from 1 s to 2.5 s, rest; channel 0 ≈ 2 g, so TestClassifier says "wave".
        var labels: [LabelEvent] = []
        var actions: [ActionEvent] = []
        for k in 0..<40 {
            let samples: [[Float]] = (0..<5).map { i in
                let t = Double(k * 5 + i) / 50
                let g = (1..<2.5).contains(t) ? Float(200 * sin(2 * .pi * 2 * t)) : 0
                return [2, 0, 1, g, 0, g / 2]
            }
            try publisher.sendIMU(
                subject: 5, samples: samples, units: units, start: start + Int64(k) * 100_000_000, period: 20_000_000)
            while let event = try subscriber.next(timeoutMilliseconds: k == 0 ? 300 : 5) {
                switch event {
                case .label(let l): labels.append(l)
                case .action(let a): actions.append(a)
                }
            }
        }
        let deadline = Date().addingTimeInterval(3)
        while actions.isEmpty && Date() < deadline, let event = try subscriber.next(timeoutMilliseconds: 200) {
            switch event {
            case .label(let l): labels.append(l)
            case .action(let a): actions.append(a)
            }
        }
        XCTAssertFalse(labels.isEmpty)
        XCTAssertTrue(labels.allSatisfy { $0.subject == 5 })
        XCTAssertTrue(labels.contains { $0.label == LabelEvent.idleLabel }, "\(labels.map(\.label))")
        XCTAssertEqual(actions.count, 1, "one action: the swing")
        XCTAssertEqual(actions.first?.seconds ?? 0, 1.5 + 0.6, accuracy: 0.4)
        XCTAssertEqual(subscriber.rejected, 0)
    }
}
