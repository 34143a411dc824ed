// libFuzzer entry point for HTTPTarget (Tests/FuzzTests/Targets/HTTPTarget.swift holds the decoder call and its
// oracle).
// Build and run: tools/fuzz/run.sh http SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { fuzzOne(HTTPTarget.self, data, size) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(HTTPTarget.self)
    return 0
}
