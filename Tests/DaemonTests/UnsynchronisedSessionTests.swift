import CMCCore
import CMCData
import CMCStream
import XCTest
@testable import CMCHarness

/// Sessions of a dataset whose IMU and skeleton were cut separately (SmartFallMM): each modality keeps
/// its own rate and the clip lasts as long as the longer one.
final class UnsynchronisedSessionTests: XCTestCase {
    /// A SmartFallMM-shaped trial: 6 IMU channels, 32 joints.
    private func trial(_ id: String, label: Int, imu: Int, frames: Int) -> Sample {
        var i = DataArray(zeros: [6, imu])
        for c in 0..<6 { for t in 0..<imu { i[c, t] = Float(c * 1000 + t) } }
        var s = DataArray(zeros: [3, frames, 32])
        for c in 0..<3 { for f in 0..<frames { for j in 0..<32 { s[c, f, j] = Float(c * 100_000 + f * 100 + j) } } }
        return Sample(id: id, label: label, subject: 39, trial: 1, inertial: i, skeleton: s, sources: [])
    }

    private var options: SessionOptions {
        var o = SessionOptions()
        o.order = .dataset
        return o
    }

    func testEachModalityKeepsItsNominalRateAndTheClipSpansTheLonger() throws {
        // Clip a: 2 s of IMU, 150 frames = 5 s of skeleton; clip b: 6 s of IMU, 60 frames = 2 s of skeleton.
        let info = SmartFallMM.info()
        XCTAssertEqual(info.synchronisedModalities, false)
        let script = SessionBuilder.script(
            subject: 39,
            clips: [
                trial("a", label: 9, imu: 100, frames: 150),
                trial("b", label: 7, imu: 300, frames: 60),
            ],
            info: info, options: options)
        XCTAssertEqual(script.clips.map(\.className), ["back_fall", "walk_tug"])
        let frame: Int64 = 33_333_333 // 30 fps, rounded down
        XCTAssertEqual(script.clips[0].start, 1, accuracy: 1e-9)
        XCTAssertEqual(
            script.clips[0].duration, Double(150 * frame) * 1e-9, accuracy: 1e-9, "the skeleton is the longer")
        XCTAssertEqual(script.clips[1].duration, 6, accuracy: 1e-9, "the IMU is the longer")
        let skeleton = try XCTUnwrap(script.skeleton)
        let imu = try XCTUnwrap(script.imu)
        XCTAssertEqual(skeleton.units, [.millimetres, .millimetres, .millimetres])
        XCTAssertEqual(skeleton.joints, 32)
        XCTAssertEqual(
            imu.units,
            [
                .metresPerSecondSquared, .metresPerSecondSquared, .metresPerSecondSquared,
                .radiansPerSecond, .radiansPerSecond, .radiansPerSecond,
            ])
        for (index, clip) in script.clips.enumerated() {
            let start = Int64((clip.start * 1e9).rounded())
            let k = try XCTUnwrap(skeleton.times.firstIndex(of: start), "clip \(index) starts with a frame")
            XCTAssertEqual(
                skeleton.times[k + 1] - skeleton.times[k], frame, "clip \(index): 30 fps, not stretched to the IMU")
            // Every frame of the clip's own data lies inside the clip.
            let frames = index == 0 ? 150 : 60
            XCTAssertLessThan(Double(skeleton.times[k + frames - 1]) * 1e-9, clip.end)
            XCTAssertEqual(Array(skeleton.sample(k + frames - 1).prefix(1)), [Float((frames - 1) * 100)])
        }
        // The IMU stays on its 50 Hz grid throughout, resting where its data ended before the skeleton's.
        XCTAssertTrue(zip(imu.times, imu.times.dropFirst()).allSatisfy { $1 - $0 == 20_000_000 })
        XCTAssertEqual(script.clipIndex(at: 4.0), 0, "clip a's skeleton still moves after its 2 s of IMU")
        XCTAssertNil(script.clipIndex(at: script.clips[0].end + 0.5))
    }

    func testSynchronisedDatasetsStillStretchTheSkeletonOverTheIMU() throws {
        // The same trial described as synchronised: 150 frames over 2 s would be 75 fps (implausible) → 30 fps,
        // but 60 frames over 6 s is 10 fps, plausible, so they span the IMU's 6 s.
        var info = SmartFallMM.info()
        info.synchronisedModalities = nil
        let script = SessionBuilder.script(
            subject: 39, clips: [trial("b", label: 7, imu: 300, frames: 60)], info: info, options: options)
        let skeleton = try XCTUnwrap(script.skeleton)
        let k = try XCTUnwrap(skeleton.times.firstIndex(of: 1_000_000_000))
        XCTAssertEqual(skeleton.times[k + 1] - skeleton.times[k], 100_000_000)
        XCTAssertEqual(script.clips[0].duration, 6, accuracy: 1e-9)
    }

    /// `cmc-replay --skeleton-layout` converts from the layout the skeletons were recorded in (SmartFallMM:
    /// Azure Kinect, 32 joints), not from an assumed Kinect v1 of 20 joints; the recorded layout, or none,
    /// sends them as they are.
    func testSkeletonLayoutConvertsFromTheRecordedLayout() throws {
        let clip = trial("a", label: 9, imu: 100, frames: 30)
        let recorded = (0..<32).flatMap { j in (0..<3).map { c in Float(c * 100_000 + j) } } // frame 0, joint-major
        func firstClipFrame(_ layout: SkeletonLayout?) throws -> (joints: Int, sample: [Float]) {
            var o = options
            o.skeletonLayout = layout
            let script = SessionBuilder.script(subject: 39, clips: [clip], info: SmartFallMM.info(), options: o)
            let skeleton = try XCTUnwrap(script.skeleton)
            let start = Int64((script.clips[0].start * 1e9).rounded())
            let k = try XCTUnwrap(skeleton.times.firstIndex(of: start), "no skeleton frame at the clip's start")
            let stride = skeleton.joints * skeleton.channels
            return (skeleton.joints, Array(skeleton.values[k * stride..<(k + 1) * stride]))
        }
        for layout in [nil, SkeletonLayout.azureKinect] {
            let sent = try firstClipFrame(layout)
            XCTAssertEqual(sent.joints, 32, "\(String(describing: layout))")
            XCTAssertEqual(sent.sample, recorded, "sent as recorded: \(String(describing: layout))")
        }
        let v1 = SkeletonLayout.azureKinect.retargetToKinectV1(recorded)
        let asV1 = try firstClipFrame(.kinectV1)
        XCTAssertEqual(asV1.joints, 20)
        XCTAssertEqual(asV1.sample, v1)
        let asMediaPipe = try firstClipFrame(.mediaPipe)
        XCTAssertEqual(asMediaPipe.joints, 33)
        XCTAssertEqual(asMediaPipe.sample, SkeletonLayout.mediaPipe.fromKinectV1Samples(v1))
    }
}
