// libFuzzer entry point for SafeTensorsTarget (Tests/FuzzTests/Targets/SafeTensorsTarget.swift holds the decoder call
// and its oracle).
// Build and run: tools/fuzz/run.sh safetensors SECONDS

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(SafeTensorsTarget.self, data, size)
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    writeSeeds(SafeTensorsTarget.self)
    return 0
}
