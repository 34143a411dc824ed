// libFuzzer entry point for AssemblerTarget (Tests/FuzzTests/Targets/AssemblerTarget.swift holds the decoder call and
// its oracle).
// Build and run: tools/fuzz/run.sh assembler SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(AssemblerTarget.self, data, size)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(AssemblerTarget.self)
    return 0
}
