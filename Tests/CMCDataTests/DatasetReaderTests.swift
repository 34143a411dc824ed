import XCTest
@testable import CMCData

/// Readers on tiny synthetic datasets written to a temporary directory.
final class DatasetReaderTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try makeTempDirectory()
        let d = dir
        addTeardownBlock { try? FileManager.default.removeItem(atPath: d) }
    }

    // MARK: SmartFallMM

    /// `n` rows at `dt` seconds from 12:00:00, value = row index on x (and constants on y, z).
    func imuCSV(n: Int, dt: Double, start: Double = 0, scale: Double = 1) -> String {
        (0..<n).map { i in
            let t = start + Double(i) * dt
            let sec = Int(t)
            let ms = Int(((t - Double(sec)) * 1000).rounded())
            return String(format: "2024-07-24 12:%02d:%02d.%03d,%g,2,3", sec / 60, sec % 60, ms, Double(i) * scale)
        }.joined(separator: "\n") + "\n"
    }

    func skeletonCSV(frames: Int) -> String {
        (0..<frames).map { f in (0..<96).map { String(Double($0) + Double(f) * 0.5) }.joined(separator: ",") }.joined(
            separator: "\n")
    }

    func writeTrial(_ id: String, acc: String, gyro: String, frames: Int = 10) throws {
        try writeText("\(dir)/accelerometer/watch/\(id).csv", acc)
        try writeText("\(dir)/gyroscope/watch/\(id).csv", gyro)
        try writeText("\(dir)/skeleton/\(id).csv", skeletonCSV(frames: frames))
    }

    func testSmartFallMMMergesSensorsOntoAUniformGrid() throws {
        // Accelerometer at 25 Hz with a pandas junk row, a duplicated timestamp and one row out of order.
        var accRows = imuCSV(n: 51, dt: 0.04).split(separator: "\n").map(String.init)
        accRows.insert("2024-07-24 12:00:00.080,99,2,3", at: 3) // duplicate of row 2 (t = 0.08): averaged with 2 → 50.5
        accRows.swapAt(10, 11)
        let acc = "0.1,0.2,0.3,Unnamed: 3\n" + accRows.joined(separator: "\n") + "\n"
        let gyro = imuCSV(n: 101, dt: 0.02, scale: 10) // 50 Hz, x = 10·i = 500·t
        try writeTrial("S30A11T02", acc: acc, gyro: gyro)

        let ds = SmartFallMM.load(directory: dir)
        let sample = try XCTUnwrap(ds.sample(id: "S30A11T02"), "\(ds.problems)")
        XCTAssertEqual(sample.label, 10)
        XCTAssertEqual(sample.subject, 30)
        XCTAssertEqual(sample.trial, 2)
        let x = try XCTUnwrap(sample.inertial)
        XCTAssertEqual(x.shape, [6, 101]) // 2 s at 50 Hz, inclusive ends
        // acc_x = 25·t except at t = 0.08 where the duplicate pulls the value to (2 + 99)/2.
        XCTAssertEqual(x[0, 2], 25 * 0.04, accuracy: 1e-4) // t = 0.04 lies on an acc sample
        XCTAssertEqual(x[0, 3], (1 + 50.5) / 2, accuracy: 1e-3) // t = 0.06: halfway between 1 (0.04) and 50.5 (0.08)
        XCTAssertEqual(x[0, 50], 25, accuracy: 1e-3) // t = 1.0
        XCTAssertEqual(x[3, 37], 500 * 0.74, accuracy: 1e-3) // gyro_x
        XCTAssertEqual(x[4, 10], 2)
        XCTAssertEqual(sample.skeleton?.shape, [3, 10, 32])
        XCTAssertEqual(sample.skeleton?[1, 2, 5], Float(5 * 3 + 1) + 1) // column 16 + frame 2 · 0.5
        let junk = ds.problems.filter { $0.kind == .junkRows }
        XCTAssertEqual(junk.count, 1)
        XCTAssertTrue(junk[0].message.contains("Unnamed: 3") && !junk[0].skipped, junk[0].message)
        XCTAssertTrue(
            ds.notes.contains { $0.contains("repeated timestamps merged (averaged): 1") && $0.contains("sorted: 1") },
            "\(ds.notes)")
    }

    func testSmartFallMMReportsBrokenAndUnpairedTrials() throws {
        try writeTrial("S31A01T01", acc: imuCSV(n: 60, dt: 0.03), gyro: "0.2,-0.5,0.002,Unnamed: 3\n") // gyro only junk
        // no overlap
        try writeTrial("S31A02T01", acc: imuCSV(n: 60, dt: 0.03), gyro: imuCSV(n: 60, dt: 0.02, start: 30))
        try writeText("\(dir)/skeleton/S31A03T01.csv", skeletonCSV(frames: 5)) // skeleton only
        try writeText("\(dir)/skeleton/notes.csv", "x") // unrecognised name
        try writeTrial("S31A04T01", acc: imuCSV(n: 60, dt: 0.03), gyro: imuCSV(n: 90, dt: 0.02)) // fine
        let ds = SmartFallMM.load(directory: dir)
        XCTAssertEqual(ds.samples.map(\.id), ["S31A04T01"])
        let byFile = Dictionary(grouping: ds.problems, by: \.kind)
        XCTAssertEqual(byFile[.unpaired]?.count, 1)
        XCTAssertEqual(byFile[.unrecognisedName]?.count, 1)
        XCTAssertEqual(Set(byFile[.degenerate]?.map(\.file) ?? []), ["S31A01T01", "S31A02T01"])
        XCTAssertTrue(ds.problems.allSatisfy { $0.kind == .junkRows || $0.skipped })
    }

    func testSmartFallMMFlagsSharedRecordingsAndCutsLongGaps() throws {
        let acc = imuCSV(n: 100, dt: 0.03)
        let gyro = imuCSV(n: 150, dt: 0.02)
        try writeTrial("S45A11T01", acc: acc, gyro: gyro)
        try writeTrial("S45A12T01", acc: acc, gyro: gyro)
        // A 20 s recording pause after 1 s: only the longer stretch after it is kept.
        let gappy = imuCSV(n: 35, dt: 0.03) + imuCSV(n: 100, dt: 0.03, start: 21)
        try writeTrial("S30A01T01", acc: gappy, gyro: imuCSV(n: 1200, dt: 0.02))
        var options = SmartFallMM.Options()
        let ds = SmartFallMM.load(directory: dir, options: options)
        XCTAssertEqual(ds.samples.count, 3)
        XCTAssertTrue(
            ds.problems.contains { $0.message.contains("2 trials share") && $0.message.contains("unreliable") })
        let gapped = try XCTUnwrap(ds.sample(id: "S30A01T01")?.inertial)
        XCTAssertEqual(gapped.shape[1], 149) // 21.0 … 23.97 s at 50 Hz (bounded by the accelerometer)
        XCTAssertTrue(ds.problems.contains { $0.file == "S30A01T01" && $0.message.contains("largest 20.") })
        options.sharedInertial = .dropIfLabelsDiffer
        XCTAssertEqual(SmartFallMM.load(directory: dir, options: options).samples.map(\.id), ["S30A01T01"])
    }

    func testTimestampParsing() {
        func t(_ s: String) -> Double? {
            let bytes = Array(s.utf8)
            return bytes.withUnsafeBufferPointer { CSVRows.parseTimestamp($0, from: 0, to: bytes.count) }
        }
        XCTAssertEqual(t("1970-01-01 00:00:00"), 0)
        XCTAssertEqual(t("2024-07-24 00:02:48.5")!, 1_721_779_368.5, accuracy: 1e-6)
        XCTAssertEqual(t("2022-07-21 15:14:05.060")!, 1_658_416_445.06, accuracy: 1e-6)
        XCTAssertNil(t("0.2185789"))
        XCTAssertNil(t("2022-13-01 00:00:00"))
        XCTAssertNil(t("2022-07-21 15:14:05."))
    }

    // MARK: UTD-MHAD

    func testUTDMHADPairsFilesAndReportsTheRest() throws {
        let b = MATBuilder()
        let T = 4
        let F = 3
        // d_iner (T, 6): column c holds 10c + row; d_skel (20, 3, F): value = j + 100c + 1000f.
        let iner = (0..<6).flatMap { c in (0..<T).map { Double(10 * c + $0) } }
        var skel = [Double]()
        for f in 0..<F { for c in 0..<3 { for j in 0..<20 { skel.append(Double(j + 100 * c + 1000 * f)) } } }
        try writeFile(
            "\(dir)/Inertial/a2_s3_t1_inertial.mat",
            b.file([b.compressed(b.doubleMatrix("d_iner", dims: [Int32(T), 6], iner))]))
        try writeFile(
            "\(dir)/Skeleton/a2_s3_t1_skeleton.mat", b.file([b.doubleMatrix("d_skel", dims: [20, 3, Int32(F)], skel)]))
        try writeFile(
            // unpaired
            "\(dir)/Inertial/a5_s2_t4_inertial.mat", b.file([b.doubleMatrix("d_iner", dims: [Int32(T), 6], iner)]))
        try writeFile("\(dir)/Inertial/a6_s2_t1_inertial.mat", Array(b.header().prefix(100))) // truncated
        try writeFile(
            "\(dir)/Skeleton/a6_s2_t1_skeleton.mat", b.file([b.doubleMatrix("d_skel", dims: [20, 3, Int32(F)], skel)]))
        try writeText("\(dir)/Skeleton/Skeleton_joint_order.txt", "not data")

        let ds = UTDMHAD.load(directory: dir)
        XCTAssertEqual(ds.samples.count, 1)
        let s = ds.samples[0]
        XCTAssertEqual([s.id, "\(s.label)", "\(s.subject)", "\(s.trial)"], ["a2_s3_t1", "1", "3", "1"])
        XCTAssertEqual(s.inertial?.shape, [6, T])
        XCTAssertEqual(s.inertial?[4, 2], 42)
        XCTAssertEqual(s.skeleton?.shape, [3, F, 20]) // (C, T, J)
        XCTAssertEqual(s.skeleton?[2, 1, 7], 7 + 200 + 1000)
        XCTAssertEqual(ds.problems.map(\.kind).sorted { $0.rawValue < $1.rawValue }, [.unpaired, .unreadable])
        XCTAssertTrue(ds.problems.first { $0.kind == .unreadable }!.message.contains("a6_s2_t1_inertial.mat"))
    }
}

final class DataRootTests: XCTestCase {
    func testRootResolutionOrder() throws {
        let dir = try makeTempDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(
            atPath: "\(dir)/work/shared/data/utd-mhad/Inertial", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir)/work/main", withIntermediateDirectories: true)
        XCTAssertEqual(DataRoot.resolve(explicit: "/explicit", environment: ["CMC_DATA_ROOT": "/env"]), "/explicit")
        XCTAssertEqual(
            DataRoot.resolve(environment: ["CMC_DATA_ROOT": "/env"], currentDirectory: "\(dir)/work/main"), "/env")
        let fallback = try XCTUnwrap(DataRoot.resolve(environment: [:], currentDirectory: "\(dir)/work/main"))
        XCTAssertTrue(fallback.hasSuffix("/work/shared/data"), fallback)
        // A folder whose parent holds no shared/data (nested, so a shared/ next to the temp dir — as on
        // a CI machine that clones into /tmp — cannot interfere).
        try FileManager.default.createDirectory(atPath: "\(dir)/elsewhere/checkout", withIntermediateDirectories: true)
        XCTAssertNil(DataRoot.resolve(environment: [:], currentDirectory: "\(dir)/elsewhere/checkout"))
        // A root may be the folder holding the datasets or the dataset folder itself.
        XCTAssertTrue(DatasetKind.utdMHAD.resolveDirectory(root: fallback)?.hasSuffix("/utd-mhad") ?? false)
        XCTAssertTrue(
            DatasetKind.utdMHAD.resolveDirectory(root: "\(fallback)/utd-mhad")?.hasSuffix("/utd-mhad") ?? false)
        XCTAssertNil(DatasetKind.smartFallMM.resolveDirectory(root: fallback))
        XCTAssertThrowsError(try DatasetKind.smartFallMM.load(root: fallback))
    }
}
