@testable import CMCTraining
import Foundation
import XCTest

final class ConfigTests: XCTestCase {
    func testDefaultsFillMissingFields() throws {
        let c = try ExperimentConfig.decode(
            Data(#"{"dataset": "utd-mhad", "cmkm": {"epochs": 7}}"#.utf8), source: "x.json")
        XCTAssertEqual(c.cmkm.epochs, 7)
        XCTAssertEqual(c.cmkm.batchSize, 64) // the paper's default survives a partial override
        XCTAssertEqual(c.simclrSkeleton.temperature, 0.5)
        XCTAssertEqual(c.stages, ExperimentConfig.Stage.allCases)
        XCTAssertEqual(c.name, "experiment")
    }

    func testShippedConfigurationsDecode() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../configs")
            .standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        XCTAssertFalse(files.isEmpty)
        for f in files { XCTAssertNoThrow(try ExperimentConfig.load(dir.appendingPathComponent(f)), f) }
        let utd = try ExperimentConfig.load(dir.appendingPathComponent("utd-mhad.json"))
        XCTAssertEqual(utd.simclrInertial.epochs, 300)
        XCTAssertEqual(utd.cmkm.temperature, 0.1)
        // The balanced supervised baseline differs from the paper's in its two options alone.
        let balanced = try ExperimentConfig.load(dir.appendingPathComponent("utd-mhad-supervised-balanced.json"))
        XCTAssertEqual(balanced.stages, [.supervised])
        var expected = utd.supervised
        expected.unimodalLossWeight = 1
        expected.modalityDropout = 0.5
        XCTAssertEqual(balanced.supervised, expected)
        XCTAssertEqual(utd.supervised.modalityDropout, 0)
    }

    func testErrorsNameTheField() {
        func message(_ json: String) -> String {
            do {
                _ = try ExperimentConfig.decode(Data(json.utf8), source: "cfg.json")
                return ""
            } catch { return "\(error)" }
        }
        XCTAssert(message(#"{"dataset": "utd-mhad", "cmkm": {"epocs": 7}}"#).contains("unknown field cmkm.epocs"))
        XCTAssert(message(#"{"dataset": "mmact"}"#).contains("unknown dataset \"mmact\""))
        XCTAssert(message(#"{"name": "x"}"#).contains("missing field dataset"))
        XCTAssert(message(#"{"dataset": "utd-mhad", "seed": "x"}"#).contains("seed"))
        XCTAssert(message("not json").contains("cfg.json"))
        XCTAssertEqual(
            message(
                #"{"dataset": "utd-mhad", "windowSeconds": 2.5, "split": {"name": "s", "train": [1], "val": [2], "test": []}}"#
            ), "")
    }
}

/// Values that have one home in a configuration: a copy elsewhere is accepted when equal, refused otherwise.
final class SingleSourceConfigTests: XCTestCase {
    func testTheEncodersInputLengthHasOneHome() throws {
        // The dataset's resample length (50 for UTD-MHAD) is the encoders' input length; saved configurations
        // that repeat it are read, a different value is refused instead of being ignored.
        let same = #"{"dataset": "utd-mhad", "inertialEncoder": {"length": 50}, "skeletonEncoder": {"length": 50}}"#
        XCTAssertNoThrow(try ExperimentConfig.decode(Data(same.utf8), source: "old.json"))
        let other = #"{"dataset": "utd-mhad", "skeletonEncoder": {"length": 60}}"#
        XCTAssertThrowsError(try ExperimentConfig.decode(Data(other.utf8), source: "cfg.json")) { error in
            XCTAssert("\(error)".contains("skeletonEncoder.length (60)"), "\(error)")
        }
        let encoded = try ExperimentConfig.decode(Data(#"{"dataset": "utd-mhad"}"#.utf8), source: "x.json").jsonString()
        XCTAssertFalse(encoded.contains("\"length\""), "the length is not written with the architecture")
    }

    func testTheCMKMTemperatureHasOneHome() throws {
        XCTAssertNoThrow(
            try ExperimentConfig.decode(
                Data(#"{"dataset": "utd-mhad", "cmkmLoss": {"temperature": 0.1}}"#.utf8), source: "t"))
        XCTAssertThrowsError(
            try ExperimentConfig.decode(
                Data(#"{"dataset": "utd-mhad", "cmkmLoss": {"temperature": 0.2}}"#.utf8),
                source: "t.json")
        ) {
            XCTAssertTrue("\($0)".contains("cmkm.temperature"), "\($0)")
        }
        let ok = try ExperimentConfig.decode(
            Data(#"{"dataset": "utd-mhad", "cmkm": {"temperature": 0.2}}"#.utf8), source: "t.json")
        XCTAssertEqual(ok.cmkm.temperature, 0.2)
    }
}

final class CrossValidationTests: XCTestCase {
    func testLeaveOneSubjectOutFoldsCoverTrainAndValidationSubjectsOnce() {
        let folds = CrossValidation.folds(of: .utdMHADCrossSubject)
        XCTAssertEqual(folds.map(\.val), [[1], [3], [5], [7]])
        XCTAssertEqual(folds.map(\.train), [[3, 5, 7], [1, 5, 7], [1, 3, 7], [1, 3, 5]])
        XCTAssertTrue(folds.allSatisfy { $0.test == [2, 4, 6, 8] }, "test subjects stay out of every fold")
    }

    func testSummaryAggregatesValidationScoresPerStage() throws {
        func results(_ subject: Int, _ accuracy: Double) -> ExperimentResults {
            var r = ExperimentResults(
                name: "x", dataset: "utd-mhad", split: CrossValidation.folds(of: .utdMHADCrossSubject)[0], counts: [:])
            var stage = StageResult(stage: "cmc", wallSeconds: 60)
            stage.peakValAccuracy = min(accuracy + 0.02, 1)
            // 100 clips of 2 classes, the first `wrong` of them misclassified.
            let wrong = Int(((1 - accuracy) * 100).rounded())
            let targets = (0..<100).map { $0 % 2 }
            stage.val = ClassificationMetrics(
                predictions: targets.enumerated().map { $0.offset < wrong ? 1 - $0.element : $0.element },
                targets: targets, classCount: 2)
            r.stages["cmc"] = stage
            return r
        }
        let summary = CrossValidation.Summary([
            1: results(1, 0.90), 3: results(3, 0.94), 5: results(5, 0.96), 7: results(7, 1.0),
        ])
        let cmc = try XCTUnwrap(summary.stages["cmc"])
        XCTAssertEqual(cmc.meanAccuracy, 0.95, accuracy: 1e-12)
        XCTAssertEqual(
            cmc.stdAccuracy, (((0.05 * 0.05) + (0.01 * 0.01) + (0.01 * 0.01) + (0.05 * 0.05)) / 3).squareRoot(),
            accuracy: 1e-12)
        XCTAssertEqual(cmc.minAccuracy, 0.90)
        XCTAssertEqual(cmc.meanMacroF1, cmc.macroF1.values.reduce(0, +) / 4, accuracy: 1e-12)
        XCTAssertEqual(cmc.clips, 400)
        XCTAssertEqual(cmc.accuracy["7"], 1.0)
        XCTAssertEqual(try XCTUnwrap(cmc.meanPeakAccuracy), (0.92 + 0.96 + 0.98 + 1.0) / 4, accuracy: 1e-12)
        XCTAssertTrue(summary.table.contains("95.00 ± 4.16"), summary.table)
        XCTAssertTrue(summary.table.contains("96.50"), "the peak column: \(summary.table)")
        XCTAssertEqual(summary.folds, [1, 3, 5, 7])
        XCTAssertNil(cmc.bestEpochs, "no fold recorded a validation curve")
    }

    /// The epoch count is chosen on the mean of the folds' validation curves, not on any single fold's peak,
    /// over the epochs every fold ran.
    func testBestEpochCountIsWhereTheMeanCurvePeaks() throws {
        let curves: [Int: [Double]] = [
            1: [0.5, 0.9, 0.8, 0.7, 0.7], // its own peak: epoch 2
            3: [0.6, 0.7, 0.9, 0.9, 0.8],
            5: [0.6, 0.7, 0.8, 0.95], // ran 4 epochs: the 5th does not count
        ]
        var results: [Int: ExperimentResults] = [:]
        for (subject, curve) in curves {
            var r = ExperimentResults(
                name: "x", dataset: "utd-mhad", split: CrossValidation.folds(of: .utdMHADCrossSubject)[0], counts: [:])
            var stage = StageResult(stage: "cmc", wallSeconds: 1)
            stage.val = ClassificationMetrics(predictions: [0], targets: [0], classCount: 2)
            stage.classifierValCurve = curve
            r.stages["cmc"] = stage
            results[subject] = r
        }
        let cmc = try XCTUnwrap(CrossValidation.Summary(results).stages["cmc"])
        // Means per epoch: 0.567, 0.767, 0.833, 0.85.
        XCTAssertEqual(cmc.bestEpochs, 4)
        XCTAssertEqual(try XCTUnwrap(cmc.bestEpochsAccuracy), (0.7 + 0.9 + 0.95) / 3, accuracy: 1e-12)
        XCTAssertTrue(CrossValidation.Summary(results).table.contains("4 (85.00)"))
        XCTAssertNil(CrossValidation.Summary(results).stages["cmc (bundle)"], "no bundle was scored")
    }

    /// A stage that exported a bundle gets a second row: the bundle as served, scored on the same subject.
    func testExportedBundlesGetTheirOwnRow() throws {
        var results: [Int: ExperimentResults] = [:]
        for (subject, right) in [(1, 9), (3, 10)] {
            var r = ExperimentResults(
                name: "x", dataset: "utd-mhad", split: CrossValidation.folds(of: .utdMHADCrossSubject)[0], counts: [:])
            var stage = StageResult(stage: "cmc-cmkm", wallSeconds: 1)
            stage.val = ClassificationMetrics(
                predictions: Array(repeating: 0, count: 10), targets: Array(repeating: 0, count: 10), classCount: 2)
            stage.bundleVal = ClassificationMetrics(
                predictions: (0..<10).map { $0 < right ? 0 : 1 }, targets: Array(repeating: 0, count: 10), classCount: 2
            )
            r.stages["cmc-cmkm"] = stage
            results[subject] = r
        }
        let summary = CrossValidation.Summary(results)
        XCTAssertEqual(try XCTUnwrap(summary.stages["cmc-cmkm"]).meanAccuracy, 1)
        XCTAssertEqual(try XCTUnwrap(summary.stages["cmc-cmkm (bundle)"]).meanAccuracy, 0.95, accuracy: 1e-12)
    }

    /// `subjects` runs only some folds (parallel processes share one output folder); the summary takes in
    /// the folds already recorded there under this configuration's name, and nothing else.
    func testSelectedFoldsJoinTheFoldsRecordedByOtherRuns() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cv-folds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let folds = CrossValidation.folds(of: .utdMHADCrossSubject)
        for (subject, name) in [(3, "x-s3"), (5, "another-config-s5")] {
            var r = ExperimentResults(name: name, dataset: "utd-mhad", split: folds[1], counts: [:])
            var stage = StageResult(stage: "cmc", wallSeconds: 1)
            stage.val = ClassificationMetrics(predictions: [0, 1], targets: [0, 0], classCount: 2)
            r.stages["cmc"] = stage
            let dir = out.appendingPathComponent("fold-s\(subject)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try r.write(to: dir.appendingPathComponent("results.json"))
        }
        let config = ExperimentConfig(name: "x", dataset: .utdMHAD)
        // No fold is run here (none selected), so no dataset is read.
        let summary = try CrossValidation.run(
            config: config, dataRoot: "/nonexistent", out: out, subjects: [], log: { _ in })
        XCTAssertEqual(summary.folds, [3], "fold 5 was recorded by another configuration")
        XCTAssertEqual(try XCTUnwrap(summary.stages["cmc"]).meanAccuracy, 0.5)
        XCTAssertThrowsError(
            try CrossValidation.run(config: config, dataRoot: "/nonexistent", out: out, subjects: [2], log: { _ in })
        ) { XCTAssertTrue("\($0)".contains("fold 2"), "\($0)") }
    }
}
