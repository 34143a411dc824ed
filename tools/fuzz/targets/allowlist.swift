// libFuzzer entry point for AllowListTarget (Tests/FuzzTests/Targets/AllowListTarget.swift holds the decoder call and
// its oracle).
// Build and run: tools/fuzz/run.sh allowlist SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(AllowListTarget.self, data, size)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(AllowListTarget.self)
    return 0
}
