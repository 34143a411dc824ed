import CMCCore
import CMCData
import CMCModel
@testable import CMCTraining
import Foundation

/// Small synthetic multimodal clips whose class is visible in both modalities: class c oscillates at
/// frequency c + 1 in the IMU and moves joint c along x in the skeleton. Tests use it to check that
/// training really learns, without needing the real datasets.
enum Synthetic {
    static let classes = 3

    static func sample(label: Int, subject: Int, trial: Int, rng: inout SeededRNG) -> Sample {
        let ti = 60 + rng.int(in: 0..<30)
        let ts = 25 + rng.int(in: 0..<10)
        var inertial = DataArray(zeros: [6, ti])
        for c in 0..<6 {
            for t in 0..<ti {
                inertial[c, t] = Float(
                    sin(Double(label + 1) * 2 * .pi * Double(t) / Double(ti) + Double(c)) + 0.1 * rng.normal())
            }
        }
        var skeleton = DataArray(zeros: [3, ts, 20])
        for f in 0..<ts {
            for j in 0..<20 {
                skeleton[0, f, j] = Float(j) * 0.1 + Float(0.05 * rng.normal())
                skeleton[1, f, j] = Float(j % 5) * 0.2
                skeleton[2, f, j] = 1
            }
            skeleton[0, f, 4 + label] += Float(f) / Float(ts) // the class's joint moves
        }
        return Sample(
            id: "c\(label)_s\(subject)_t\(trial)", label: label, subject: subject, trial: trial,
            inertial: inertial, skeleton: skeleton, sources: [])
    }

    static func samples(subjects: [Int], perClass: Int, seed: UInt64) -> [Sample] {
        var rng = SeededRNG(seed: seed)
        var out: [Sample] = []
        for s in subjects {
            for c in 0..<classes {
                for t in 0..<perClass { out.append(sample(label: c, subject: s, trial: t, rng: &rng)) }
            }
        }
        return out
    }

    static var info: DatasetInfo {
        var i = UTDMHAD.info
        i.name = "synthetic"
        i.classNames = ["slow", "medium", "fast"]
        i.imuPlacementByClass = Array(repeating: "wrist", count: 3)
        return i
    }

    static func set(_ name: String, subjects: [Int], perClass: Int, seed: UInt64) -> TrainingSet {
        TrainingSet(
            name: name, samples: samples(subjects: subjects, perClass: perClass, seed: seed),
            preprocessor: .utdMHAD, classCount: classes)
    }

    static var tinyInertial: InertialEncoder.Config {
        var c = InertialEncoder.Config()
        c.channels = [4, 4, 8]
        c.feedForward = 16
        c.dropout = 0
        return c
    }

    static var tinySkeleton: SkeletonEncoder.Config {
        var c = SkeletonEncoder.Config()
        c.channels = [4, 28, 4, 4, 8, 8]
        return c
    }
}
