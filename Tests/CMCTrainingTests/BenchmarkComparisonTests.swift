import Foundation
import XCTest
@testable import CMCTraining

final class BenchmarkComparisonTests: XCTestCase {
    /// Every PyTorch run gets its own column and ratio, oriented so that > 1 means cmc is better.
    func testEveryTorchResultGetsItsRatios() throws {
        let ours = EngineBenchmark(
            sgemm_gflops: 100, sgemm_gflops_1thread: 60,
            inference_ms: ["both": .init(p50: 2, p99: 4)], train_samples_per_s: 120, train_step_ms: 500,
            train_cmkm_samples_per_s: 90, train_cmkm_step_ms: 711, train_simclr_inertial_samples_per_s: 300,
            train_simclr_inertial_step_ms: 427, train_simclr_skeleton_samples_per_s: 160,
            train_simclr_skeleton_step_ms: 200)
        func torch(_ version: String, both: Double, train: Double, cmkm: Double? = nil, simclr: Double? = nil) throws
            -> BenchmarkComparison.Torch
        {
            let cmkmKey = cmkm.map { #""train_cmkm_samples_per_s": \#($0), "# } ?? ""
            let simclrKeys =
                simclr.map {
                    #""train_simclr_inertial_samples_per_s": \#($0), "train_simclr_skeleton_samples_per_s": \#($0 / 2), "#
                } ?? ""
            let json =
                #"{"torch_version": "\#(version)", "inference_ms": {"both": {"p50": \#(both), "p99": 8}}, "#
                + #""train_samples_per_s": \#(train), \#(cmkmKey)\#(simclrKeys)"sgemm_gflops": 50}"#
            return try BenchmarkComparison.Torch(json: Data(json.utf8), source: version)
        }
        let table = BenchmarkComparison.table(
            ours: ours,
            torch: [
                try torch("1.13.1", both: 3, train: 100),
                try torch("2.15.0", both: 2.5, train: 240, cmkm: 60, simclr: 200),
            ])
        XCTAssert(table.contains("torch 1.13.1") && table.contains("torch 2.15.0"), table)
        let both = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("batch-1 both p50") })
        XCTAssert(both.contains("1.50×") && both.contains("1.25×"), String(both))
        let train = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("train samples/s") })
        XCTAssert(train.contains("1.20×") && train.contains("0.50×"), String(train))
        // A result without the CMC-CMKM key (older bench_torch.py) shows n/a, not a made-up ratio.
        let cmkm = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("train CMKM samples/s") })
        XCTAssert(cmkm.contains("n/a") && cmkm.contains("1.50×"), String(cmkm))
        let simclrInertial = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("train SimCLR inertial") })
        XCTAssert(simclrInertial.contains("n/a") && simclrInertial.contains("1.50×"), String(simclrInertial))
        let simclrSkeleton = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("train SimCLR skeleton") })
        XCTAssert(simclrSkeleton.contains("n/a") && simclrSkeleton.contains("1.60×"), String(simclrSkeleton))
        XCTAssertThrowsError(try BenchmarkComparison.Torch(json: Data("{}".utf8), source: "x.json")) {
            XCTAssert("\($0)".contains("x.json"))
        }
    }
}
