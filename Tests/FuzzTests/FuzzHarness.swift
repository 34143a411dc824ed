import Foundation
import XCTest

/// Runs one `FuzzTarget` in the test suite: every committed corpus file (including the `crash-*`
/// regression inputs), the target's built-in seeds, then a bounded, seeded mutation pass over them.
///
/// The pass is short on purpose (CI runs it on every change; the long runs are libFuzzer's, see
/// docs/fuzzing.md). CMC_FUZZ_ITERATIONS scales it for a longer local run; CMC_FUZZ_SEED picks
/// another deterministic stream of mutations.
enum FuzzHarness {
    /// Each target stops at its iteration count or after this many seconds, whichever comes first,
    /// so a loaded machine cannot push the suite past its budget.
    static let secondsPerTarget = 3.0

    static func corpus(_ name: String) throws -> [(String, [UInt8])] {
        guard let root = Bundle.module.resourceURL?.appendingPathComponent("Corpus/\(name)") else { return [] }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return try files.sorted().map { ($0, [UInt8](try Data(contentsOf: root.appendingPathComponent($0)))) }
    }

    static func run<T: FuzzTarget>(_: T.Type, iterations: Int, file: StaticString = #filePath, line: UInt = #line)
        throws
    {
        let committed = try corpus(T.name)
        XCTAssertFalse(committed.isEmpty, "no committed corpus for \(T.name)", file: file, line: line)
        let seeds = T.seeds()
        XCTAssertFalse(seeds.isEmpty, "\(T.name) has no built-in seeds", file: file, line: line)
        for (i, seed) in seeds.enumerated() where T.run(seed) != nil {
            XCTFail("\(T.name) seed \(i): \(T.run(seed)!)", file: file, line: line)
        }
        for (name, bytes) in committed {
            if let problem = T.run(bytes) {
                XCTFail("\(T.name) corpus file \(name): \(problem)", file: file, line: line)
            }
        }

        let env = ProcessInfo.processInfo.environment
        let count = env["CMC_FUZZ_ITERATIONS"].flatMap(Int.init) ?? iterations
        let pool = seeds + committed.filter { !$0.0.hasPrefix("crash-") }.map(\.1)
        var mutator = Mutator(seed: env["CMC_FUZZ_SEED"].flatMap(UInt64.init) ?? 0xC3C)
        let start = Date()
        var done = 0
        while done < count, Date().timeIntervalSince(start) < secondsPerTarget || count > iterations {
            let base = pool[mutator.rng.int(in: 0..<pool.count)]
            let other = pool[mutator.rng.int(in: 0..<pool.count)]
            let input = mutator.mutate(base, splicingWith: other)
            if let problem = T.run(input) {
                XCTFail(
                    "\(T.name) mutation \(done): \(problem); input (base64): \(Data(input).base64EncodedString())",
                    file: file, line: line)
                return
            }
            done += 1
        }
        print(
            "fuzz \(T.name): \(committed.count) corpus files, \(seeds.count) seeds, \(done) mutations in "
                + String(format: "%.2f s", Date().timeIntervalSince(start)))
    }
}

/// A short pass of every decoder's fuzz target (see FuzzHarness).
final class FuzzTests: XCTestCase {
    func testMATReader() throws { try FuzzHarness.run(MATTarget.self, iterations: 100_000) }
    func testSafeTensors() throws { try FuzzHarness.run(SafeTensorsTarget.self, iterations: 100_000) }
    func testModelBundle() throws { try FuzzHarness.run(BundleTarget.self, iterations: 20_000) }
    func testExperimentConfig() throws { try FuzzHarness.run(ConfigTarget.self, iterations: 30_000) }
    func testDaemonConfig() throws { try FuzzHarness.run(DaemonConfigTarget.self, iterations: 30_000) }
    func testFrameCodec() throws { try FuzzHarness.run(FrameTarget.self, iterations: 1_000_000) }
    func testLabelEvent() throws { try FuzzHarness.run(LabelTarget.self, iterations: 50_000) }
    func testRecordReader() throws { try FuzzHarness.run(RecordTarget.self, iterations: 20_000) }
    func testSmartFallMMCSV() throws { try FuzzHarness.run(CSVTarget.self, iterations: 200_000) }
    func testWindowAssemblerPrograms() throws { try FuzzHarness.run(AssemblerTarget.self, iterations: 5_000) }
    func testMetricsHTTPRequest() throws { try FuzzHarness.run(HTTPTarget.self, iterations: 200_000) }
    func testCurveAllowListAndKeyFiles() throws { try FuzzHarness.run(AllowListTarget.self, iterations: 100_000) }
}
