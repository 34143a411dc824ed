import XCTest
@testable import CMCData

/// Tests on the real datasets. They look in `CMC_DATA_ROOT`, else `../shared/data` next to the
/// package root, and skip with a message when the data is not there (it is never committed).
final class RealDataTests: XCTestCase {
    func dataRoot() throws -> String {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        guard let root = DataRoot.resolve(currentDirectory: packageRoot) else {
            throw XCTSkip("real data not found: set \(DataRoot.environmentVariable) or place it at ../shared/data")
        }
        return root
    }

    func load(_ kind: DatasetKind) throws -> Dataset {
        let root = try dataRoot()
        guard kind.resolveDirectory(root: root) != nil else { throw XCTSkip("no \(kind.rawValue) under \(root)") }
        return try kind.load(root: root)
    }

    func testUTDMHAD() throws {
        let ds = try load(.utdMHAD)
        XCTAssertTrue(ds.problems.isEmpty, "\(ds.problems)")
        XCTAssertEqual(Set(ds.subjects).isSubset(of: Set(1...8)), true)
        if ds.subjects == [1, 3, 5, 7] { XCTAssertEqual(ds.samples.count, 431) } // the subset distributed here
        if ds.subjects == Array(1...8) { XCTAssertEqual(ds.samples.count, 861) } // the full dataset

        let sample = try XCTUnwrap(ds.sample(id: "a23_s5_t4"))
        XCTAssertEqual(sample.label, 22)
        XCTAssertEqual(sample.inertial?.shape, [6, 184])
        XCTAssertEqual(sample.skeleton?.shape, [3, 72, 20])
        // Values cross-checked with scipy.io.loadmat (d_iner[0,0], d_iner[183,5], d_skel[0,1,0], d_skel[19,2,71]).
        XCTAssertEqual(sample.inertial?[0, 0], -0.963623)
        XCTAssertEqual(sample.inertial?[5, 183], -3.78626)
        XCTAssertEqual(sample.skeleton?[1, 0, 0], Float(0.5840179324150085))
        XCTAssertEqual(sample.skeleton?[2, 71, 19], Float(2.9600300788879395))
        // Preprocessing matches scipy's recentre/normalise/resample pipeline on this file.
        let input = try Preprocessor.utdMHAD(sample)
        XCTAssertEqual(input.skeleton?[0, 25, 11] ?? .nan, 0.8367297865550205, accuracy: 1e-5)
        XCTAssertEqual(input.skeleton?[1, 0, 0] ?? .nan, 1.544122012541361, accuracy: 1e-5)
        XCTAssertEqual(input.inertial?[3, 17] ?? .nan, 140.68868247523054, accuracy: 1e-3)

        for s in ds.samples {
            XCTAssertTrue((107...326).contains(s.inertialLength), "\(s.id): \(s.inertialLength) IMU samples")
            XCTAssertTrue((41...125).contains(s.skeletonLength), "\(s.id): \(s.skeletonLength) frames")
        }
        let report = DescribeReport(dataset: ds, directory: "", split: .utdMHADCrossSubject, preprocessor: .utdMHAD)
        if ds.subjects == [1, 3, 5, 7] {
            XCTAssertEqual(report.counts, .init(train: 323, val: 108, test: 0, unassigned: 0))
            XCTAssertTrue(report.warnings.contains { $0.contains("test split is empty") })
        }
        let (inputs, problems) = Preprocessor.utdMHAD.prepare(ds.samples)
        XCTAssertTrue(problems.isEmpty, "\(problems)")
        XCTAssertTrue(
            inputs.allSatisfy {
                $0.inertial!.shape == [6, 50] && $0.skeleton!.shape == [3, 50, 20]
                    && $0.inertial!.isFinite && $0.skeleton!.isFinite
            })
    }

    func testSmartFallMM() throws {
        let ds = try load(.smartFallMM)
        // 312 trials here; a few have unusable IMU data (no gyro rows, no overlap, no 0.5 s gap-free stretch).
        XCTAssertGreaterThan(ds.samples.count, 280)
        let skipped = ds.problems.filter(\.skipped)
        XCTAssertLessThan(skipped.count, 30)
        let junk = ds.problems.filter { $0.kind == .junkRows }.map(\.file)
        for bad in ["S30A02T01", "S30A06T03"] {
            XCTAssertTrue(
                junk.contains { $0.hasSuffix("gyroscope/watch/\(bad).csv") }, "junk row of \(bad) not reported")
        }
        for s in ds.samples {
            XCTAssertEqual(s.inertial?.shape[0], 6)
            XCTAssertGreaterThanOrEqual(s.inertialLength, 25)
            XCTAssertEqual(s.skeleton?.shape[0], 3)
            XCTAssertEqual(s.skeleton?.shape[2], 32)
            XCTAssertTrue(s.inertial!.isFinite && s.skeleton!.isFinite, s.id)
        }
        let (inputs, problems) = Preprocessor.smartFallMM.prepare(Array(ds.samples.prefix(40)))
        XCTAssertTrue(problems.isEmpty, "\(problems)")
        XCTAssertTrue(inputs.allSatisfy { $0.skeleton!.shape == [3, 50, 32] && $0.skeleton!.isFinite })
        let report = DescribeReport(dataset: ds, directory: "", split: .smartFallMMDefault, preprocessor: .smartFallMM)
        XCTAssertEqual(
            report.counts.train + report.counts.val + report.counts.test + report.counts.unassigned, ds.samples.count)
    }

    func testBasicMotions() throws {
        let ds = try load(.basicMotions)
        XCTAssertTrue(ds.problems.isEmpty, "\(ds.problems)")
        XCTAssertEqual(ds.samples.count, 80)
        XCTAssertEqual(ds.info.classNames.count, 4)
        XCTAssertTrue(ds.samples.allSatisfy { $0.inertial?.shape == [6, 100] && $0.skeleton == nil })
        XCTAssertEqual(SubjectSplit.basicMotions.samples(.train, from: ds.samples).count, 40)
    }

    func testSampleSVG() throws {
        let ds = try load(.utdMHAD)
        let svg = try SamplePlot.svg(sample: ds.samples[0], info: ds.info, preprocessor: .utdMHAD)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
        XCTAssertTrue(svg.contains("acc_x (g)") && svg.contains("gyro_z (deg/s)"))
        XCTAssertGreaterThan(svg.components(separatedBy: "<polyline").count, 12 + 40) // IMU traces + joint paths
    }
}
