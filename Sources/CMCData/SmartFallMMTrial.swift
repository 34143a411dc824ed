import Foundation

extension SmartFallMM {
    struct LoadedTrial {
        var sample: Sample
        /// Hash of the two IMU files' parsed content, to find trials sharing one recording.
        var fingerprint: UInt64
        var duplicates: Int
        var outOfOrder: Int
    }

    /// Reads one trial; junk rows and long gaps are appended to `problems` (the trial is kept),
    /// unusable content throws.
    static func loadTrial(
        key: TrialKey, skeletonPath: String, accPath: String, gyroPath: String,
        options: Options, problems: inout [DataProblem]
    ) throws -> LoadedTrial {
        var series = [TimedSeries]()
        var fingerprint: UInt64 = 0xcbf2_9ce4_8422_2325
        for (path, sensor) in [(accPath, "accelerometer"), (gyroPath, "gyroscope")] {
            let rows = try CSVRows.read(path: path, columns: 3, timestamped: true)
            reportJunk(rows, path: path, problems: &problems)
            guard rows.rowCount >= 2 else {
                throw DataError.degenerate(sample: path, reason: "\(sensor) has \(rows.rowCount) valid rows (need ≥ 2)")
            }
            fnv1a(&fingerprint, rows.timestamps)
            fnv1a(&fingerprint, rows.values)
            series.append(TimedSeries(times: rows.timestamps, values: rows.values, channels: 3))
        }
        let merged = try mergeOntoUniformGrid(
            series, rate: options.inertialRate, maxGap: options.maxGap,
            minSamples: options.minInertialSamples, sampleID: key.id)
        if let largest = merged.cutGaps.first {
            problems.append(
                DataProblem(
                    kind: .suspicious, file: key.id,
                    message:
                        "IMU has \(merged.cutGaps.count) gap(s) > \(fixed(options.maxGap, 1)) s (largest \(fixed(largest, 1)) s); kept the longest gap-free stretch, \(fixed(merged.end - merged.start, 1)) s of \(fixed(merged.commonEnd - merged.commonStart, 1)) s",
                    skipped: false))
        }

        let skeletonRows = try CSVRows.read(path: skeletonPath, columns: 96, timestamped: false)
        reportJunk(skeletonRows, path: skeletonPath, problems: &problems)
        guard skeletonRows.rowCount >= 2 else {
            throw DataError.degenerate(
                sample: skeletonPath, reason: "\(skeletonRows.rowCount) valid skeleton rows (need ≥ 2 of 96 numbers)")
        }
        let skeleton = skeletonArray(rows: skeletonRows, joints: 32)
        let sample = Sample(
            id: key.id, label: key.activity - 1, subject: key.subject, trial: key.trial,
            inertial: merged.array, skeleton: skeleton,
            sources: [accPath, gyroPath, skeletonPath])
        return LoadedTrial(
            sample: sample, fingerprint: fingerprint,
            duplicates: series.map(\.duplicates).reduce(0, +),
            outOfOrder: series.map(\.outOfOrder).reduce(0, +))
    }

    /// Reports groups of trials whose IMU files are byte-identical (one recording copied into several
    /// trials) and returns the trials `options.sharedInertial` says to drop.
    static func flagSharedRecordings(
        _ fingerprints: [UInt64: [TrialKey]], options: Options,
        problems: inout [DataProblem], notes: inout [String]
    ) -> Set<TrialKey> {
        var dropped = Set<TrialKey>()
        var shared = (trials: 0, mixed: 0)
        for keys in fingerprints.values.map({ $0.sorted() }).sorted(by: { $0[0] < $1[0] }) where keys.count > 1 {
            let activities = Set(keys.map(\.activity)).sorted()
            let mixed = activities.count > 1
            let drop = options.sharedInertial == .drop || (options.sharedInertial == .dropIfLabelsDiffer && mixed)
            shared.trials += keys.count
            if mixed { shared.mixed += keys.count }
            problems.append(
                DataProblem(
                    kind: .suspicious, file: keys[0].id,
                    message:
                        "\(keys.count) trials share byte-identical IMU files (\(keys.map(\.id).joined(separator: " "))), "
                        + (mixed
                            ? "spanning activities \(activities.map { String(format: "A%02d", $0) }.joined(separator: ",")): their IMU labels are unreliable"
                            : "all activity \(String(format: "A%02d", activities[0])): one recording covering several trials"),
                    skipped: drop))
            if drop { dropped.formUnion(keys) }
        }
        if shared.trials > 0 {
            notes.append(
                "\(shared.trials) trials share their IMU recording with other trials (\(shared.mixed) of them across different activities); policy: \(options.sharedInertial.rawValue)"
            )
        }
        return dropped
    }

    /// Rows of `x, y, z` per joint → `(3, T, J)`.
    static func skeletonArray(rows: CSVRows, joints: Int) -> DataArray {
        let t = rows.rowCount
        var out = [Float](repeating: 0, count: 3 * t * joints)
        for f in 0..<t {
            for j in 0..<joints {
                for c in 0..<3 { out[(c * t + f) * joints + j] = Float(rows.values[f * joints * 3 + j * 3 + c]) }
            }
        }
        return DataArray(shape: [3, t, joints], values: out)
    }

    static func reportJunk(_ rows: CSVRows, path: String, problems: inout [DataProblem]) {
        guard let first = rows.junk.first else { return }
        let more = rows.junk.count > 1 ? " and \(rows.junk.count - 1) more" : ""
        problems.append(
            DataProblem(
                kind: .junkRows, file: path,
                message: "skipped \(rows.junk.count) invalid row(s): line \(first.line) '\(first.text)'\(more)"
                    + (rows.rowCount < 2 ? "; no valid rows left" : ""),
                // A trial left without enough rows is skipped and reported by its own problem entry.
                skipped: false))
    }

    static func fnv1a(_ hash: inout UInt64, _ values: [Double]) {
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<8 {
                hash = (hash ^ (bits & 0xFF)) &* 0x100_0000_01b3
                bits >>= 8
            }
        }
    }
}
