import CMCCore
import Foundation

/// Reader for UTD-MHAD (`Inertial/a{A}_s{S}_t{T}_inertial.mat` + `Skeleton/…_skeleton.mat`).
///
/// Files are paired by (action, subject, trial); a file without its partner, or one that cannot
/// be read, is reported as a `DataProblem` and skipped — the load never aborts. Nothing assumes
/// which subjects are present (the full dataset has 861 pairs from subjects 1–8).
public enum UTDMHAD {
    public static let classNames = [
        "swipe_left", "swipe_right", "wave", "clap", "throw", "arm_cross", "basketball_shoot",
        "draw_x", "draw_circle_cw", "draw_circle_ccw", "draw_triangle", "bowling", "boxing",
        "baseball_swing", "tennis_swing", "arm_curl", "tennis_serve", "push", "knock", "catch",
        "pickup_throw", "jog", "walk", "sit2stand", "stand2sit", "lunge", "squat",
    ]

    /// Kinect v1 joint order (0-based), from `Skeleton/Skeleton_joint_order.txt`.
    public static let jointNames = SkeletonLayout.kinectV1.jointNames

    public static let bones: [[Int]] = [
        [0, 1], [1, 2], [2, 3],
        [1, 4], [4, 5], [5, 6], [6, 7],
        [1, 8], [8, 9], [9, 10], [10, 11],
        [3, 12], [12, 13], [13, 14], [14, 15],
        [3, 16], [16, 17], [17, 18], [18, 19],
    ]

    public static let info = DatasetInfo(
        name: "utd-mhad",
        classNames: classNames,
        inertialChannels: [
            ChannelInfo(name: "acc_x", unit: "g", sensor: "accelerometer"),
            ChannelInfo(name: "acc_y", unit: "g", sensor: "accelerometer"),
            ChannelInfo(name: "acc_z", unit: "g", sensor: "accelerometer"),
            ChannelInfo(name: "gyro_x", unit: "deg/s", sensor: "gyroscope"),
            ChannelInfo(name: "gyro_y", unit: "deg/s", sensor: "gyroscope"),
            ChannelInfo(name: "gyro_z", unit: "deg/s", sensor: "gyroscope"),
        ],
        inertialSampleRate: 50,
        skeletonDimensions: 3, jointCount: 20, jointNames: jointNames, bones: bones,
        // 30 fps nominal; the files hold ≈ 2.6 IMU samples per frame (≈ 19 fps effective).
        skeletonFrameRate: 30, skeletonUnit: "m",
        imuPlacementByClass: (1...27).map { $0 <= 21 ? "right wrist" : "right thigh" })

    /// Identity parsed from a file name such as `a12_s3_t4_inertial.mat`.
    struct FileKey: Hashable {
        var action: Int, subject: Int, trial: Int
        var id: String { "a\(action)_s\(subject)_t\(trial)" }
    }

    static func parseName(_ name: String) -> (key: FileKey, modality: String)? {
        guard name.lowercased().hasSuffix(".mat") else { return nil }
        let tokens = name.dropLast(4).split(separator: "_")
        guard tokens.count == 4,
            tokens[0].first == "a", let a = Int(tokens[0].dropFirst()),
            tokens[1].first == "s", let s = Int(tokens[1].dropFirst()),
            tokens[2].first == "t", let t = Int(tokens[2].dropFirst())
        else { return nil }
        return (FileKey(action: a, subject: s, trial: t), tokens[3].lowercased())
    }

    /// Loads every pair under `directory` (the folder holding `Inertial/` and `Skeleton/`).
    public static func load(directory: String) -> Dataset {
        var problems = [DataProblem]()
        var inertialFiles = [FileKey: String]()
        var skeletonFiles = [FileKey: String]()
        for (folder, modality) in [("inertial", "inertial"), ("skeleton", "skeleton")] {
            guard let dir = findSubdirectory(directory, named: folder) else {
                problems.append(
                    DataProblem(
                        kind: .unreadable, file: "\(directory)/\(folder.capitalized)",
                        message: "folder not found: no \(modality) data", skipped: true))
                continue
            }
            for name in listFiles(dir) where name.lowercased().hasSuffix(".mat") {
                let path = "\(dir)/\(name)"
                guard let parsed = parseName(name), parsed.modality == modality,
                    (1...classNames.count).contains(parsed.key.action)
                else {
                    problems.append(
                        DataProblem(
                            kind: .unrecognisedName, file: path,
                            message: "expected a{1-27}_s{S}_t{T}_\(modality).mat", skipped: true))
                    continue
                }
                if modality == "inertial" { inertialFiles[parsed.key] = path } else { skeletonFiles[parsed.key] = path }
            }
        }
        for key in Set(inertialFiles.keys).subtracting(skeletonFiles.keys) {
            problems.append(
                DataProblem(
                    kind: .unpaired, file: inertialFiles[key]!, message: "no skeleton file for \(key.id)", skipped: true
                ))
        }
        for key in Set(skeletonFiles.keys).subtracting(inertialFiles.keys) {
            problems.append(
                DataProblem(
                    kind: .unpaired, file: skeletonFiles[key]!, message: "no inertial file for \(key.id)", skipped: true
                ))
        }
        var samples = [Sample]()
        for key in Set(inertialFiles.keys).intersection(skeletonFiles.keys) {
            let ip = inertialFiles[key]!
            let sp = skeletonFiles[key]!
            do {
                let inertial = try readInertial(path: ip)
                let skeleton = try readSkeleton(path: sp)
                samples.append(
                    Sample(
                        id: key.id, label: key.action - 1, subject: key.subject, trial: key.trial,
                        inertial: inertial, skeleton: skeleton, sources: [ip, sp]))
            } catch {
                problems.append(DataProblem(kind: .unreadable, file: key.id, message: "\(error)", skipped: true))
            }
        }
        problems.sort { ($0.kind.rawValue, $0.file) < ($1.kind.rawValue, $1.file) }
        return Dataset(info: info, samples: samples, problems: problems)
    }

    /// `d_iner` (T, C) → `(C, T)`. Column-major (T, C) storage already is row-major (C, T).
    public static func readInertial(path: String) throws -> DataArray {
        let array = try MATFile(contentsOf: path).array(named: "d_iner")
        guard array.dimensions.count == 2, array.dimensions[1] == info.inertialChannels.count,
            array.dimensions[0] >= 2
        else {
            throw DataError.malformed(
                file: path,
                reason: "d_iner has dimensions \(array.dimensions), expected (T ≥ 2, \(info.inertialChannels.count))")
        }
        let out = DataArray(shape: [array.dimensions[1], array.dimensions[0]], values: array.values.map { Float($0) })
        guard out.isFinite else {
            throw DataError.malformed(file: path, reason: "d_iner contains NaN or infinite values")
        }
        return out
    }

    /// `d_skel` (J, C, F), column-major → `(C, F, J)` row-major.
    public static func readSkeleton(path: String) throws -> DataArray {
        let array = try MATFile(contentsOf: path).array(named: "d_skel")
        let dims = array.dimensions
        guard dims.count == 3, dims[0] == info.jointCount, dims[1] == info.skeletonDimensions, dims[2] >= 2 else {
            throw DataError.malformed(file: path, reason: "d_skel has dimensions \(dims), expected (20, 3, F ≥ 2)")
        }
        let (J, C, F) = (dims[0], dims[1], dims[2])
        var out = [Float](repeating: 0, count: J * C * F)
        for f in 0..<F {
            for c in 0..<C {
                for j in 0..<J { out[(c * F + f) * J + j] = Float(array.values[j + J * (c + C * f)]) }
            }
        }
        let result = DataArray(shape: [C, F, J], values: out)
        guard result.isFinite else {
            throw DataError.malformed(file: path, reason: "d_skel contains NaN or infinite values")
        }
        return result
    }
}

/// Sorted regular-file names in a directory (empty when unreadable).
func listFiles(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// A subdirectory matched case-insensitively (`Inertial` vs `inertial`).
func findSubdirectory(_ directory: String, named name: String) -> String? {
    for entry in listFiles(directory) where entry.lowercased() == name.lowercased() {
        var isDir: ObjCBool = false
        let path = "\(directory)/\(entry)"
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return path }
    }
    return nil
}
