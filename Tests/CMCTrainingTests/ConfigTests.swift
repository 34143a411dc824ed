@testable import CMCTraining
import Foundation
import XCTest

final class ConfigTests: XCTestCase {
    func testDefaultsFillMissingFields() throws {
        let c = try ExperimentConfig.decode(Data(#"{"dataset": "utd-mhad", "cmkm": {"epochs": 7}}"#.utf8), source: "x.json")
        XCTAssertEqual(c.cmkm.epochs, 7)
        XCTAssertEqual(c.cmkm.batchSize, 64)                // the paper's default survives a partial override
        XCTAssertEqual(c.simclrSkeleton.temperature, 0.5)
        XCTAssertEqual(c.stages, ExperimentConfig.Stage.allCases)
        XCTAssertEqual(c.name, "experiment")
    }

    func testShippedConfigurationsDecode() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../configs").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        XCTAssertFalse(files.isEmpty)
        for f in files { XCTAssertNoThrow(try ExperimentConfig.load(dir.appendingPathComponent(f)), f) }
        let utd = try ExperimentConfig.load(dir.appendingPathComponent("utd-mhad.json"))
        XCTAssertEqual(utd.simclrInertial.epochs, 300)
        XCTAssertEqual(utd.cmkm.temperature, 0.1)
    }

    func testErrorsNameTheField() {
        func message(_ json: String) -> String {
            do { _ = try ExperimentConfig.decode(Data(json.utf8), source: "cfg.json"); return "" } catch { return "\(error)" }
        }
        XCTAssert(message(#"{"dataset": "utd-mhad", "cmkm": {"epocs": 7}}"#).contains("unknown field cmkm.epocs"))
        XCTAssert(message(#"{"dataset": "mmact"}"#).contains("unknown dataset \"mmact\""))
        XCTAssert(message(#"{"name": "x"}"#).contains("missing field dataset"))
        XCTAssert(message(#"{"dataset": "utd-mhad", "seed": "x"}"#).contains("seed"))
        XCTAssert(message("not json").contains("cfg.json"))
        XCTAssertEqual(message(#"{"dataset": "utd-mhad", "windowSeconds": 2.5, "split": {"name": "s", "train": [1], "val": [2], "test": []}}"#), "")
    }
}
