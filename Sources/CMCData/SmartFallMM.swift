import Foundation

/// Reader for SmartFallMM: smartwatch accelerometer + gyroscope CSVs and 32-joint skeleton CSVs,
/// one file per trial named `S{subject}A{activity}T{trial}.csv` in `skeleton/`,
/// `accelerometer/<device>/` and `gyroscope/<device>/`.
///
/// Inertial merging: the watch accelerometer runs at ≈ 34 Hz and the gyroscope at ≈ 50 Hz, both
/// unevenly, with repeated and out-of-order timestamps. Each stream is sorted and de-duplicated
/// (equal stamps averaged), then both are linearly interpolated onto one uniform grid at
/// `Options.inertialRate` (default 50 Hz — the gyroscope's rate, so no gyroscope detail is lost)
/// spanning only the interval where both sensors have data. Channels: acc xyz (m/s²), gyro xyz (rad/s).
public enum SmartFallMM {
    public static let classNames = [
        "drink", "pick_up", "jacket", "step_up", "sweep", "wash_hands", "wave", "walk_tug",
        "sit_stand", "back_fall", "front_fall", "left_fall", "right_fall", "rotate_fall",
    ]

    /// The falls, by the dataset's own naming (`*_fall`): the events a fall detector exists for.
    public static let fallClasses = classNames.filter { $0.hasSuffix("_fall") }

    /// Azure Kinect body-tracking joint order. Not documented by the dataset: inferred because 32
    /// joints match that layout and these bones keep a constant length within a recording.
    public static let jointNames = [
        "pelvis", "spine_navel", "spine_chest", "neck",
        "clavicle_l", "shoulder_l", "elbow_l", "wrist_l", "hand_l", "handtip_l", "thumb_l",
        "clavicle_r", "shoulder_r", "elbow_r", "wrist_r", "hand_r", "handtip_r", "thumb_r",
        "hip_l", "knee_l", "ankle_l", "foot_l", "hip_r", "knee_r", "ankle_r", "foot_r",
        "head", "nose", "eye_l", "ear_l", "eye_r", "ear_r",
    ]

    public static let bones: [[Int]] = [
        [0, 1], [1, 2], [2, 3], [3, 26], [26, 27], [27, 28], [28, 29], [27, 30], [30, 31],
        [2, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9], [7, 10],
        [2, 11], [11, 12], [12, 13], [13, 14], [14, 15], [15, 16], [14, 17],
        [0, 18], [18, 19], [19, 20], [20, 21], [0, 22], [22, 23], [23, 24], [24, 25],
    ]

    public struct Options: Sendable {
        /// Device sub-folder for the IMU files.
        public var device = "watch"
        /// Uniform grid rate (Hz) the accelerometer and gyroscope are merged onto.
        public var inertialRate = 50.0
        /// Sampling gaps longer than this (s) are not interpolated across: the IMU clip becomes the
        /// longest gap-free stretch (normal watch jitter stays below 0.7 s; real pauses last 1 s to 20 min).
        public var maxGap = 1.0
        /// Trials whose merged IMU clip is shorter than this many grid samples are skipped.
        public var minInertialSamples = 25
        /// What to do with trials whose IMU files are byte-identical to another trial's.
        public var sharedInertial = SharedInertialPolicy.keep

        public init() {}
    }

    /// Some subjects' IMU files are one long recording copied into several trials (S45: one file
    /// for 20 fall trials of 4 classes). Such trials are always reported; this chooses whether to keep them.
    public enum SharedInertialPolicy: String, Sendable, CaseIterable {
        case keep
        /// Drop trials whose shared recording is also used by a trial of another class.
        case dropIfLabelsDiffer = "drop-if-labels-differ"
        case drop
    }

    public static func info(options: Options = Options()) -> DatasetInfo {
        DatasetInfo(
            name: "smartfallmm",
            classNames: classNames,
            inertialChannels: [
                ChannelInfo(name: "acc_x", unit: "m/s^2", sensor: "accelerometer"),
                ChannelInfo(name: "acc_y", unit: "m/s^2", sensor: "accelerometer"),
                ChannelInfo(name: "acc_z", unit: "m/s^2", sensor: "accelerometer"),
                ChannelInfo(name: "gyro_x", unit: "rad/s", sensor: "gyroscope"),
                ChannelInfo(name: "gyro_y", unit: "rad/s", sensor: "gyroscope"),
                ChannelInfo(name: "gyro_z", unit: "rad/s", sensor: "gyroscope"),
            ],
            inertialSampleRate: options.inertialRate,
            skeletonDimensions: 3, jointCount: 32, jointNames: jointNames,
            jointNamesNote: "inferred (Azure Kinect body-tracking layout); not documented by the dataset",
            bones: bones, skeletonFrameRate: 30, skeletonUnit: "mm",
            imuPlacementByClass: Array(repeating: "wrist (smartwatch)", count: classNames.count),
            focusClasses: fallClasses, synchronisedModalities: false)
    }

    struct TrialKey: Hashable, Comparable {
        var subject: Int, activity: Int, trial: Int
        var id: String { String(format: "S%02dA%02dT%02d", subject, activity, trial) }
        static func < (a: TrialKey, b: TrialKey) -> Bool {
            (a.subject, a.activity, a.trial) < (b.subject, b.activity, b.trial)
        }
    }

    /// Parses `S30A01T01.csv` (case-insensitive, any number of digits).
    static func parseName(_ name: String) -> TrialKey? {
        guard name.lowercased().hasSuffix(".csv") else { return nil }
        let stem = name.dropLast(4).uppercased()
        var numbers = [Int]()
        var rest = Substring(stem)
        for letter in ["S", "A", "T"] {
            guard rest.hasPrefix(letter) else { return nil }
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let v = Int(digits) else { return nil }
            numbers.append(v)
            rest = rest.dropFirst(digits.count)
        }
        guard rest.isEmpty else { return nil }
        return TrialKey(subject: numbers[0], activity: numbers[1], trial: numbers[2])
    }

    /// Loads every trial under `directory` (the folder holding `skeleton/`, `accelerometer/`, `gyroscope/`).
    public static func load(directory: String, options: Options = Options()) -> Dataset {
        var problems = [DataProblem]()
        var notes = [String]()
        let folders = [("skeleton", [String]()), ("accelerometer", [options.device]), ("gyroscope", [options.device])]
        var files = [[TrialKey: String]](repeating: [:], count: 3)
        for (m, (folder, sub)) in folders.enumerated() {
            var dir = findSubdirectory(directory, named: folder)
            for s in sub { dir = dir.flatMap { findSubdirectory($0, named: s) } }
            guard let dir else {
                problems.append(
                    DataProblem(
                        kind: .unreadable, file: "\(directory)/\(([folder] + sub).joined(separator: "/"))",
                        message: "folder not found", skipped: true))
                continue
            }
            for name in listFiles(dir) where name.lowercased().hasSuffix(".csv") {
                guard let key = parseName(name), (1...classNames.count).contains(key.activity) else {
                    problems.append(
                        DataProblem(
                            kind: .unrecognisedName, file: "\(dir)/\(name)",
                            message: "expected S{subject}A{01-14}T{trial}.csv", skipped: true))
                    continue
                }
                files[m][key] = "\(dir)/\(name)"
            }
        }
        let allKeys = Set(files[0].keys).union(files[1].keys).union(files[2].keys)
        var samples = [Sample]()
        var fingerprints = [UInt64: [TrialKey]]()
        var totals = (dup: 0, order: 0)
        for key in allKeys.sorted() {
            let paths = files.map { $0[key] }
            let missing = zip(["skeleton", "accelerometer", "gyroscope"], paths).filter { $0.1 == nil }.map(\.0)
            if !missing.isEmpty {
                problems.append(
                    DataProblem(
                        kind: .unpaired, file: paths.compactMap { $0 }.first ?? key.id,
                        message: "\(key.id) has no \(missing.joined(separator: "/")) file", skipped: true))
                continue
            }
            do {
                let trial = try loadTrial(
                    key: key, skeletonPath: paths[0]!, accPath: paths[1]!, gyroPath: paths[2]!,
                    options: options, problems: &problems)
                samples.append(trial.sample)
                fingerprints[trial.fingerprint, default: []].append(key)
                totals.dup += trial.duplicates
                totals.order += trial.outOfOrder
            } catch {
                let text = "\(error)"
                let message = text.hasPrefix("\(key.id): ") ? String(text.dropFirst(key.id.count + 2)) : text
                let kind: DataProblem.Kind
                if case DataError.degenerate = error { kind = .degenerate } else { kind = .unreadable }
                problems.append(DataProblem(kind: kind, file: key.id, message: message, skipped: true))
            }
        }
        let dropped = flagSharedRecordings(fingerprints, options: options, problems: &problems, notes: &notes)
        samples.removeAll { s in dropped.contains(TrialKey(subject: s.subject, activity: s.label + 1, trial: s.trial)) }
        notes.append(
            "IMU rows with repeated timestamps merged (averaged): \(totals.dup); rows out of time order sorted: \(totals.order)"
        )
        notes.append(
            "accelerometer + gyroscope merged onto a uniform \(fixed(options.inertialRate, 0)) Hz grid by linear interpolation over their common span, cut at gaps > \(fixed(options.maxGap, 1)) s (longest gap-free stretch kept)"
        )
        problems.sort { ($0.kind.rawValue, $0.file) < ($1.kind.rawValue, $1.file) }
        var dataset = Dataset(info: info(options: options), samples: samples, problems: problems)
        dataset.notes = notes
        return dataset
    }
}
