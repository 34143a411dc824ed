import CMCCore
import CMCData
import CMCDaemon
@testable import CMCHarness
import CMCStream
import Foundation
import XCTest

/// Skeleton retargeting: the layouts' rules, the round trips the README's table measures, and the
/// daemon's assembler retargeting frames that declare another layout by their joint count.
final class SkeletonLayoutTests: XCTestCase {
    /// A Kinect v1 pose with every joint distinct: joint j at (j, 10 + j, 100 + 2j).
    private func pose() -> [Float] {
        var values: [Float] = []
        for j in 0..<20 { values += [Float(j), Float(10 + j), Float(100 + 2 * j)] }
        return values
    }

    func testRulesAreCompleteAndInRange() {
        for layout in SkeletonLayout.allCases {
            XCTAssertEqual(layout.toKinectV1.count, 20, "\(layout)")
            XCTAssertEqual(layout.fromKinectV1.count, layout.jointNames.count, "\(layout)")
            XCTAssertEqual(SkeletonLayout(jointCount: layout.jointNames.count), layout)
            func indices(_ r: SkeletonLayout.Rule) -> [Int] {
                switch r {
                case .joint(let i): [i]
                case .mean(let js): js
                case .along(let a, let b, _): [a, b]
                }
            }
            XCTAssertTrue(
                layout.toKinectV1.flatMap(indices).allSatisfy { (0..<layout.jointNames.count).contains($0) },
                "\(layout)")
            XCTAssertTrue(layout.fromKinectV1.flatMap(indices).allSatisfy { (0..<20).contains($0) }, "\(layout)")
        }
        XCTAssertEqual(
            UTDMHAD.jointNames, SkeletonLayout.kinectV1.jointNames, "one definition of the model's joint order")
    }

    func testRoundTripsKeepWhatTheLayoutHasAndRebuildTheRest() {
        let v1 = pose()
        func joint(_ values: [Float], _ j: Int) -> [Float] { Array(values[(j * 3)..<(j * 3 + 3)]) }
        // Azure Kinect has every Kinect v1 joint: exact, axes turned there and back.
        let azure = SkeletonLayout.azureKinect.fromKinectV1Samples(v1)
        XCTAssertEqual(joint(azure, 5), [-4, -14, 108], "shoulder_left is l_shoulder, x and y turned")
        XCTAssertEqual(SkeletonLayout.azureKinect.retargetToKinectV1(azure), v1)
        // OpenNI has no wrists or ankles: rebuilt along the forearm and shin; the rest exact.
        let openNI = SkeletonLayout.openNI.retargetToKinectV1(SkeletonLayout.openNI.fromKinectV1Samples(v1))
        for j in [0, 1, 2, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19] {
            XCTAssertEqual(joint(openNI, j), joint(v1, j), "joint \(j)")
        }
        let elbow = joint(v1, 5)
        let hand = joint(v1, 7)
        for c in 0..<3 { XCTAssertEqual(joint(openNI, 6)[c], elbow[c] + 0.85 * (hand[c] - elbow[c]), accuracy: 1e-4) }
        XCTAssertEqual(
            joint(openNI, 3), zip(joint(v1, 12), joint(v1, 16)).map { ($0 + $1) / 2 }, "hip centre = mean of the hips")
        // MediaPipe: centres from the joints around them.
        let mp = SkeletonLayout.mediaPipe.retargetToKinectV1(SkeletonLayout.mediaPipe.fromKinectV1Samples(v1))
        XCTAssertEqual(
            joint(mp, 1), zip(joint(v1, 4), joint(v1, 8)).map { ($0 + $1) / 2 },
            "shoulder centre = mean of the shoulders")
        XCTAssertEqual(joint(mp, 7), joint(v1, 7), "hand = mean of pinky and index, both the hand")
    }

    /// cmcd's assembler takes a 15-joint (OpenNI) frame for a Kinect v1 model and windows it as 20 joints.
    func testTheAssemblerRetargetsFramesOfAnotherLayout() throws {
        var spec = ClassifierSpec(
            classNames: ["a", "b"], windowSeconds: 1, inertialChannels: nil, skeletonCoordinates: 3, skeletonJoints: 20,
            skeletonUnit: .metres)
        spec.skeletonLayout = .kinectV1
        var config = PipelineConfig.defaults
        config.segmentation.enabled = false
        config.clock.mode = .shared
        var assembler = WindowAssembler(
            spec: spec, buffer: config.buffer, clock: config.clock, hopSeconds: 0.5,
            segmentation: config.segmentation)
        let openNI = SkeletonLayout.openNI.fromKinectV1Samples(pose())
        var window: Window?
        for k in 0..<40 {
            let t = Int64(k) * 33_000_000 + 1_000_000_000
            let frame = SensorFrame(
                modality: .skeleton, subject: 1, sequence: UInt64(k), channels: 3, joints: 15,
                units: [.metres, .metres, .metres], timing: .regular(start: t, periodNanoseconds: 33_000_000),
                values: openNI)
            XCTAssertEqual(
                try assembler.ingest(frame, arrival: t + 1_000_000),
                .buffered(lost: 0, sequenceReset: false, clockResynced: false, refused: 0))
            if case .window(let w) = assembler.cut(subject: 1, now: t + 1_000_000) { window = w }
        }
        let skeleton = try XCTUnwrap(window?.skeleton)
        XCTAssertEqual(skeleton.joints, 20)
        // Window values are (coordinate, sample, joint): the first sample is the retargeted pose.
        let expected = SkeletonLayout.openNI.retargetToKinectV1(openNI)
        for ji in 0..<20 {
            for ci in 0..<3 {
                XCTAssertEqual(skeleton.values[(ci * skeleton.count) * 20 + ji], expected[ji * 3 + ci], "joint \(ji)")
            }
        }
        // Without a retargetable model layout the same frame is refused, naming the field.
        spec.skeletonLayout = nil
        var strict = WindowAssembler(
            spec: spec, buffer: config.buffer, clock: config.clock, hopSeconds: 0.5, segmentation: config.segmentation)
        let frame = SensorFrame(
            modality: .skeleton, subject: 1, sequence: 0, channels: 3, joints: 15, units: [.metres, .metres, .metres],
            timing: .regular(start: 1_000_000_000, periodNanoseconds: 33_000_000), values: openNI)
        XCTAssertThrowsError(try strict.ingest(frame, arrival: 1_001_000_000)) {
            XCTAssertTrue("\($0)".contains("header.joints"), "\($0)")
        }
    }

    /// The committed default model serves a Kinect v1 skeleton: its spec says so, and OpenNI clips sent
    /// through the offline daemon are scored with their skeletons (no fallback to the IMU alone).
    func testTheDefaultModelAcceptsOtherLayouts() throws {
        let model = Binaries.repository.appendingPathComponent("models/utd-mhad-cmkm.safetensors")
        let classifier = try BundleClassifier.load(path: model.path)
        XCTAssertEqual(classifier.spec.skeletonLayout, .kinectV1)
        var session = SessionOptions()
        session.limit = 4
        session.skeletonLayout = .openNI
        let loaded = try DatasetReplay.loadDemo(
            Binaries.repository.appendingPathComponent("demo/utd-mhad-subject7.safetensors"),
            session: session)
        XCTAssertEqual(loaded.scripts[0].skeleton?.joints, 15)
        var bimodal = 0
        let output = StreamSimulation().run(scripts: loaded.scripts, classifier: classifier) { window, _ in
            if window.skeleton?.joints == 20 && window.inertial != nil { bimodal += 1 }
        }
        XCTAssertGreaterThan(bimodal, 5)
        XCTAssertEqual(output.failures, 0)
    }
}
