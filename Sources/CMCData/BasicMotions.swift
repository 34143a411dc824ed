import Foundation

/// Reader for BasicMotions (UEA `.ts` format): smartwatch IMU only, 6 × 100 at 10 Hz, 4 classes.
/// A tiny real fixture for the inertial path. Each case's index within its file is the "trial";
/// TRAIN cases get subject 1 and TEST cases subject 2, so `SubjectSplit.basicMotions` gives the
/// archive's own train/test split.
public enum BasicMotions {
    public static func info(classNames: [String]) -> DatasetInfo {
        DatasetInfo(
            name: "basicmotions", classNames: classNames,
            inertialChannels: ["x", "y", "z"].map {
                ChannelInfo(name: "acc_\($0)", unit: "a.u.", sensor: "accelerometer")
            }
                + ["x", "y", "z"].map { ChannelInfo(name: "gyro_\($0)", unit: "a.u.", sensor: "gyroscope") },
            inertialSampleRate: 10, skeletonDimensions: nil, jointCount: nil, jointNames: nil, bones: [],
            skeletonFrameRate: nil, skeletonUnit: nil,
            imuPlacementByClass: Array(repeating: "wrist (smartwatch)", count: classNames.count))
    }

    /// Loads `BasicMotions_TRAIN.ts` and `BasicMotions_TEST.ts` from `directory`.
    public static func load(directory: String) -> Dataset {
        var problems = [DataProblem]()
        var samples = [Sample]()
        var classNames = ["Standing", "Running", "Walking", "Badminton"]
        for (subject, part) in [(1, "TRAIN"), (2, "TEST")] {
            let path = "\(directory)/BasicMotions_\(part).ts"
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append(
                    DataProblem(kind: .unreadable, file: path, message: "file missing or not readable", skipped: true))
                continue
            }
            var inData = false
            var trial = 0
            var lineNumber = 0
            for rawLine in String(decoding: data, as: UTF8.self).split(
                separator: "\n", omittingEmptySubsequences: false)
            {
                lineNumber += 1
                let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
                if line.isEmpty || line.hasPrefix("#") { continue }
                if !inData {
                    let lower = line.lowercased()
                    if lower.hasPrefix("@classlabel") {
                        let tokens = line.split(separator: " ").dropFirst(2).map(String.init)
                        if !tokens.isEmpty { classNames = tokens }
                    } else if lower == "@data" {
                        inData = true
                    }
                    continue
                }
                let parts = line.split(separator: ":", omittingEmptySubsequences: false)
                let series = parts.dropLast().map { $0.split(separator: ",").map { Float($0) } }
                guard parts.count == 7, let label = classNames.firstIndex(of: String(parts.last!)),
                    let length = series.first?.count, length >= 2,
                    series.allSatisfy({ $0.count == length && $0.allSatisfy { $0 != nil && $0!.isFinite } })
                else {
                    problems.append(
                        DataProblem(
                            kind: .junkRows, file: path,
                            message: "line \(lineNumber): expected 6 equal-length numeric series and a known label",
                            skipped: true))
                    continue
                }
                trial += 1
                samples.append(
                    Sample(
                        id: "\(part.lowercased())\(trial)", label: label, subject: subject, trial: trial,
                        inertial: DataArray(shape: [6, length], values: series.flatMap { $0.map { $0! } }),
                        skeleton: nil, sources: [path]))
            }
        }
        return Dataset(info: info(classNames: classNames), samples: samples, problems: problems)
    }
}

extension SubjectSplit {
    /// The UEA archive's own split (TRAIN file = subject 1, TEST file = subject 2); no validation part.
    public static let basicMotions = SubjectSplit(name: "uea_train_test", train: [1], val: [], test: [2])
}
