// libFuzzer entry point for ConfigTarget (Tests/FuzzTests/Targets/ConfigTarget.swift holds the decoder call and its
// oracle).
// Build and run: tools/fuzz/run.sh config SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(ConfigTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(ConfigTarget.self)
    return 0
}
