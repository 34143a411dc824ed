// libFuzzer entry point for MATTarget (Tests/FuzzTests/Targets/MATTarget.swift holds the decoder call and its oracle).
// Build and run: tools/fuzz/run.sh mat SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(MATTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(MATTarget.self)
    return 0
}
