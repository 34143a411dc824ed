// libFuzzer entry point for CSVTarget (Tests/FuzzTests/Targets/CSVTarget.swift holds the decoder call and its oracle).
// Build and run: tools/fuzz/run.sh csv SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(CSVTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(CSVTarget.self)
    return 0
}
