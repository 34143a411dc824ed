import CMCDaemon
import CMCData
import CMCStream
import Foundation

/// Steady synthetic sensor streams shaped for a model (its channels, joints and training units), for
/// load tests: IMU at `imuRate`, skeleton at `skeletonRate`, each subject starting at its own phase
/// (spread over `phaseSpread` seconds) so windows fall due spread out over time, as with independent real sensors.
///
/// Every subject moves all the time (a 1–2.5 Hz swing, well above the segmenter's motion threshold):
/// the worst case for the daemon, where no window is idle and every window is inferred.
public enum SyntheticStreams {
    public static func scripts(
        subjects: Int, seconds: Double, info: DatasetInfo, imuRate: Double = 50, skeletonRate: Double = 30,
        phaseSpread: Double = 0.5, firstSubject: UInt32 = 1, endTogether: Bool = false
    ) -> [StreamScript] {
        let units = SessionBuilder.wireUnits(info)
        let channels = info.inertialChannels.count
        let coordinates = info.skeletonDimensions ?? 3
        let joints = info.jointCount ?? 0
        // Metres for m-trained models; the same pose scaled for mm-trained ones.
        let scale: Float = units.skeleton == .millimetres ? 1000 : 1
        let g: Float = units.imu.first == .standardGravity ? 1 : 9.80665
        return (0..<subjects).map { i in
            let phase = Int64((Double(i) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1) * phaseSpread * 1e9)
            // With `endTogether`, every subject stops at `seconds` (a late joiner streams less), so no
            // subject streams on alone after the others stopped.
            let streamed = endTogether ? seconds - Double(phase) * 1e-9 : seconds
            var imu: ScriptedSamples?
            var skeleton: ScriptedSamples?
            let w = 2 * Float.pi * (1 + 0.25 * Float(i % 7)) // each subject moves at its own pace
            if channels > 0 {
                var s = ScriptedSamples(channels: channels, joints: 0, units: units.imu)
                let period = Int64((1e9 / imuRate).rounded())
                for k in 0..<Int(streamed * imuRate) {
                    let t = Float(k) / Float(imuRate)
                    s.append(
                        time: phase + Int64(k) * period,
                        sample: (0..<channels).map { c in
                            (c == 2 ? g : 0) + 0.3 * g * sin(w * t + Float(c))
                                + (c >= 3 ? 120 * cos(w * t + Float(c)) : 0)
                        })
                }
                imu = s
            }
            if joints > 0 {
                var s = ScriptedSamples(
                    channels: coordinates, joints: joints, units: Array(repeating: units.skeleton, count: coordinates))
                let period = Int64((1e9 / skeletonRate).rounded())
                for k in 0..<Int(streamed * skeletonRate) {
                    let t = Float(k) / Float(skeletonRate)
                    var pose = [Float](repeating: 0, count: coordinates * joints)
                    for j in 0..<joints {
                        for c in 0..<coordinates {
                            // A standing figure: joints spread over 1.7 m height, limbs swinging.
                            let base: Float =
                                c == 1 ? 1.7 - 1.7 * Float(j) / Float(joints) : (c == 0 ? 0.1 * Float(j % 5 - 2) : 2.5)
                            pose[j * coordinates + c] = (base + 0.05 * sin(w * t + Float(j))) * scale
                        }
                    }
                    s.append(time: phase + Int64(k) * period, sample: pose)
                }
                skeleton = s
            }
            return StreamScript(
                subject: firstSubject + UInt32(i), clips: [], imu: imu, skeleton: skeleton,
                duration: streamed + Double(phase) * 1e-9)
        }
    }
}
