import CMCCore
import XCTest
@testable import CMCData

final class SplitAndCropTests: XCTestCase {
    func samples(subjects: [Int], classes: Int, perClass: Int) -> [Sample] {
        subjects.flatMap { s in
            (0..<classes).flatMap { c in
                (1...perClass).map { t in
                    Sample(
                        id: "a\(c + 1)_s\(s)_t\(t)", label: c, subject: s, trial: t, inertial: nil, skeleton: nil,
                        sources: [])
                }
            }
        }
    }

    /// A split with no subjects in the part asked for (a model trained on every subject) is scored on the
    /// fallback's subjects for that part, listed there alone so that no earlier part claims them.
    func testScoringFallsBackToAnotherSplitsPart() {
        let all = SubjectSplit(name: "all", train: [1, 3, 5, 7], val: [], test: [2, 4])
        let scored = all.scoring(.val, fallback: .utdMHADCrossSubject)
        XCTAssertEqual(scored.subjects(.val), [7])
        XCTAssertEqual(scored.part(ofSubject: 7), .val, "subject 7 is in the bundle's train part, not in this split's")
        XCTAssertEqual(all.scoring(.test, fallback: .utdMHADCrossSubject), all, "a part of its own is kept as is")
    }

    func testUTDCrossSubjectWithMissingTestSubjects() {
        let data = samples(subjects: [1, 3, 5, 7], classes: 27, perClass: 4)
        let split = SubjectSplit.utdMHADCrossSubject
        XCTAssertEqual(split.samples(.train, from: data).count, 3 * 27 * 4)
        XCTAssertEqual(split.samples(.val, from: data).count, 27 * 4)
        XCTAssertTrue(split.samples(.test, from: data).isEmpty) // reported, not fatal
        XCTAssertEqual(split.part(ofSubject: 4), .test)
        XCTAssertNil(split.part(ofSubject: 9))
        XCTAssertEqual(split.unassignedSubjects(in: samples(subjects: [1, 9], classes: 1, perClass: 1)), [9])
    }

    func testDescribeReportCountsAndWarnings() throws {
        let ds = Dataset(
            info: UTDMHAD.info, samples: samples(subjects: [1, 3, 5, 7, 11], classes: 27, perClass: 1), problems: [])
        let report = DescribeReport(dataset: ds, directory: "/x", split: .utdMHADCrossSubject, preprocessor: .utdMHAD)
        XCTAssertEqual(report.counts, .init(train: 81, val: 27, test: 0, unassigned: 27))
        XCTAssertEqual(report.subjects.absent["test"], [2, 4, 6, 8])
        XCTAssertTrue(report.warnings.contains { $0.contains("test split is empty") && $0.contains("2, 4, 6, 8") })
        XCTAssertTrue(report.warnings.contains { $0.contains("11") })
        let json = try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any]
        let counts = json?["counts"] as? [String: Int]
        XCTAssertEqual(counts?["train"], 81)
        XCTAssertEqual(counts?["val"], 27)
        XCTAssertEqual(counts?["test"], 0)
        XCTAssertTrue(report.summary().contains("train 81 · val 27 · test 0"))
    }

    func testSplitLoadsFromJSON() throws {
        let dir = try makeTempDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try writeText("\(dir)/split.json", #"{"name": "mine", "train": [30, 31], "val": [39], "test": [43]}"#)
        XCTAssertEqual(
            try SubjectSplit.load(jsonFile: "\(dir)/split.json"),
            SubjectSplit(name: "mine", train: [30, 31], val: [39], test: [43]))
        try writeText("\(dir)/bad.json", "{}")
        XCTAssertThrowsError(try SubjectSplit.load(jsonFile: "\(dir)/bad.json"))
    }

    func testLabelFractions() {
        // Class c has 10·(c+1) samples.
        let data = (0..<3).flatMap { c in
            (0..<(10 * (c + 1))).map { i in
                Sample(id: "\(c)-\(i)", label: c, subject: 1, trial: i, inertial: nil, skeleton: nil, sources: [])
            }
        }
        var rng = SeededRNG(seed: 5)
        for k in [0.01, 0.05, 0.1, 0.25, 0.5, 1.0] {
            let kept = LabelFraction.limit(data, fraction: k, rng: &rng)
            for c in 0..<3 {
                XCTAssertEqual(
                    kept.filter { $0.label == c }.count, max(1, Int(k * Double(10 * (c + 1)))), "k=\(k) class \(c)")
            }
            XCTAssertEqual(Set(kept.map(\.id)).count, kept.count) // no duplicates
        }
        var a = SeededRNG(seed: 9)
        var b = SeededRNG(seed: 9)
        var c = SeededRNG(seed: 10)
        let ka = LabelFraction.limit(data, fraction: 0.25, rng: &a).map(\.id)
        XCTAssertEqual(ka, LabelFraction.limit(data, fraction: 0.25, rng: &b).map(\.id))
        XCTAssertNotEqual(ka, LabelFraction.limit(data, fraction: 0.25, rng: &c).map(\.id))
    }

    func testTemporalCropIsConsistentAcrossModalities() {
        // IMU at 3 samples per skeleton frame; values encode their own time index.
        let inertial = DataArray(shape: [1, 300], values: (0..<300).map(Float.init))
        let skeleton = DataArray(shape: [1, 100, 1], values: (0..<100).map(Float.init))
        let sample = Sample(
            id: "s", label: 0, subject: 1, trial: 1, inertial: inertial, skeleton: skeleton, sources: [])
        var rng = SeededRNG(seed: 3)
        let crop = TemporalCrop(minFraction: 0.5)
        for _ in 0..<20 {
            let out = crop.apply(to: sample, rng: &rng)
            let i = out.inertial!.values
            let s = out.skeleton!.values
            XCTAssertGreaterThanOrEqual(s.count, 50)
            XCTAssertEqual(Double(i.count) / 3, Double(s.count), accuracy: 1) // same kept fraction
            XCTAssertEqual(Double(i.first!) / 3, Double(s.first!), accuracy: 1.5) // same relative start
            XCTAssertEqual(zip(s, s.dropFirst()).filter { $1 != $0 + 1 }.count, 0) // contiguous
        }
    }

    func testTemporalExtensionPadsWithEdgeFrames() {
        let window = TemporalCrop.Window(fraction: 0.5, startPosition: 1, padBefore: 0.2, padAfter: 0.4)
        let idx = window.indices(length: 10) // keeps frames 5…9, pads 1 before and 2 after
        XCTAssertEqual(idx, [5, 5, 6, 7, 8, 9, 9, 9])
        var rng = SeededRNG(seed: 1)
        let never = TemporalCrop(minFraction: 0.5, probability: 0)
        let s = Sample(
            id: "s", label: 0, subject: 1, trial: 1,
            inertial: DataArray(shape: [2, 10], values: (0..<20).map(Float.init)),
            skeleton: nil, sources: [])
        XCTAssertEqual(never.apply(to: s, rng: &rng), s)
    }

    func testAugmentedInputPipeline() throws {
        let inertial = DataArray(shape: [6, 150], values: (0..<900).map { sin(Float($0) / 10) })
        var skeleton = DataArray(zeros: [3, 60, 20])
        for i in skeleton.values.indices { skeleton.values[i] = Float(i % 97) / 50 }
        let sample = Sample(
            id: "a1_s1_t1", label: 0, subject: 1, trial: 1, inertial: inertial, skeleton: skeleton, sources: [])
        var config = AugmentationConfig.utdMHAD
        config.temporalCrop = .streaming
        var a = SeededRNG(seed: 1)
        var b = SeededRNG(seed: 1)
        let va = try Preprocessor.utdMHAD.augmentedInput(sample, augmentations: config, rng: &a)
        let vb = try Preprocessor.utdMHAD.augmentedInput(sample, augmentations: config, rng: &b)
        XCTAssertEqual(va, vb)
        XCTAssertEqual(va.inertial?.shape, [6, 50])
        XCTAssertEqual(va.skeleton?.shape, [3, 50, 20])
        let clean = try Preprocessor.utdMHAD.augmentedInput(sample, augmentations: .none, rng: &a)
        XCTAssertEqual(clean, try Preprocessor.utdMHAD(sample))
    }
}
