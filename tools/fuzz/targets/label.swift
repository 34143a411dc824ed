// libFuzzer entry point for LabelTarget (Tests/FuzzTests/Targets/LabelTarget.swift holds the decoder call and its
// oracle).
// Build and run: tools/fuzz/run.sh label SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(LabelTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(LabelTarget.self)
    return 0
}
