// libFuzzer entry point for RecordTarget (Tests/FuzzTests/Targets/RecordTarget.swift holds the decoder call and its
// oracle).
// Build and run: tools/fuzz/run.sh record SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(RecordTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(RecordTarget.self)
    return 0
}
