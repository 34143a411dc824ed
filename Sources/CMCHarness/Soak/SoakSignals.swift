import CMCDaemon
import CMCData
import CMCStream
import Foundation

/// The synthetic sensor signals of the soak: the same shapes `SyntheticStreams` uses (a standing figure
/// swinging its limbs, an IMU around 1 g), generated frame by frame so a long soak needs no memory.
struct SoakSignals: Sendable {
    let imuChannels: Int, imuUnits: [SensorUnit], imuRate: Double
    let joints: Int, coordinates: Int, skeletonUnits: [SensorUnit], skeletonRate: Double
    private let gravity: Float, scale: Float

    init(info: DatasetInfo) {
        let units = SessionBuilder.wireUnits(info)
        imuChannels = info.inertialChannels.count
        imuUnits = units.imu
        imuRate = info.inertialSampleRate ?? 50
        joints = info.jointCount ?? 0
        coordinates = info.skeletonDimensions ?? 3
        skeletonUnits = Array(repeating: units.skeleton, count: coordinates)
        skeletonRate = info.skeletonFrameRate ?? 30
        gravity = units.imu.first == .standardGravity ? 1 : 9.80665
        scale = units.skeleton == .millimetres ? 1000 : 1
    }

    func has(_ modality: Modality) -> Bool { modality == .inertial ? imuChannels > 0 : joints > 0 }
    func rate(_ modality: Modality) -> Double { modality == .inertial ? imuRate : skeletonRate }
    /// Samples per frame: 5 IMU samples (100 ms at 50 Hz), 2 skeleton frames.
    func chunk(_ modality: Modality) -> Int { modality == .inertial ? 5 : 2 }

    /// `count` samples from sample index `first`, sample-major as on the wire.
    func values(_ modality: Modality, subject: UInt32, first: Int, count: Int) -> [Float] {
        let w = Float(1 + Int(subject) % 7)
        var out: [Float] = []
        let rate = Float(self.rate(modality))
        for k in first..<first + count {
            let t = Float(k % 100_000) / rate
            if modality == .inertial {
                for c in 0..<imuChannels {
                    out.append(
                        (c == 2 ? gravity : 0) + 0.3 * gravity * sin(w * t + Float(c))
                            + (c >= 3 ? 40 * cos(w * t + Float(c)) : 0))
                }
            } else {
                for j in 0..<joints {
                    for c in 0..<coordinates {
                        let base: Float =
                            c == 1 ? 1.7 - 1.7 * Float(j) / Float(joints) : (c == 0 ? 0.1 * Float(j % 5 - 2) : 2.5)
                        out.append((base + 0.05 * sin(w * t + Float(j))) * scale)
                    }
                }
            }
        }
        return out
    }

    func frame(_ modality: Modality, subject: UInt32, sequence: UInt64, start: Int64, firstSample: Int) -> SensorFrame {
        let n = chunk(modality)
        let period = UInt32((1e9 / rate(modality)).rounded())
        return SensorFrame(
            modality: modality, subject: subject, sequence: sequence,
            channels: modality == .inertial ? imuChannels : coordinates, joints: modality == .inertial ? 0 : joints,
            units: modality == .inertial ? imuUnits : skeletonUnits,
            timing: .regular(start: start, periodNanoseconds: period),
            values: values(modality, subject: subject, first: firstSample, count: n))
    }
}
