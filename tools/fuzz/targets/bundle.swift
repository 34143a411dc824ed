// libFuzzer entry point for BundleTarget (Tests/FuzzTests/Targets/BundleTarget.swift holds the decoder call and its
// oracle).
// Build and run: tools/fuzz/run.sh bundle SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(BundleTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(BundleTarget.self)
    return 0
}
