// libFuzzer entry point for DaemonConfigTarget (Tests/FuzzTests/Targets/DaemonConfigTarget.swift holds the decoder call and its
// oracle).
// Build and run: tools/fuzz/run.sh daemonconfig SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(DaemonConfigTarget.self, data, size)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(DaemonConfigTarget.self)
    return 0
}
