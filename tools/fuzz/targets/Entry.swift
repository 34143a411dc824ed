import Foundation

/// Shared body of every libFuzzer entry point. A decoder that traps crashes the process, which
/// libFuzzer reports with the input; an inconsistent decode is turned into a crash here so that it
/// is reported (and minimised) the same way.
func fuzzOne<T: FuzzTarget>(_: T.Type, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    if let problem = T.run(bytes) { fatalError("\(T.name): inconsistent decode: \(problem)") }
    return 0
}

/// Called once before fuzzing: with CMC_FUZZ_WRITE_SEEDS=DIR, writes the target's built-in seeds
/// there, so tools/fuzz/run.sh seeds the corpus with files written by the very code under test.
func writeSeeds<T: FuzzTarget>(_: T.Type) {
    guard let dir = ProcessInfo.processInfo.environment["CMC_FUZZ_WRITE_SEEDS"] else { return }
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (i, seed) in T.seeds().enumerated() {
        _ = FileManager.default.createFile(atPath: "\(dir)/seed-\(T.name)-\(i)", contents: Data(seed))
    }
}
