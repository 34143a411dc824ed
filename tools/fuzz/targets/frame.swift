// libFuzzer entry point for FrameTarget (Tests/FuzzTests/Targets/FrameTarget.swift holds the decoder call and its
// oracle).
// Build and run: tools/fuzz/run.sh frame SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(FrameTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(FrameTarget.self)
    return 0
}
