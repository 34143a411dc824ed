import Foundation

/// One decoder under fuzz. The same type drives both harnesses: the XCTest mutation harness
/// (Tests/FuzzTests) and the libFuzzer entry points (tools/fuzz/targets), so an oracle written once
/// is checked by both.
///
/// `run` feeds untrusted bytes to the decoder. Throwing is the decoder's right; trapping is a bug
/// (the process dies) and so is returning a value that contradicts itself, which `run` reports as a
/// non-nil description.
protocol FuzzTarget {
    /// Directory name under Corpus/ and the libFuzzer target name.
    static var name: String { get }
    /// Small valid inputs that mutations start from (the committed corpus adds more).
    static func seeds() -> [[UInt8]]
    /// nil when the input was rejected cleanly or decoded consistently; otherwise what is wrong.
    static func run(_ bytes: [UInt8]) -> String?
}

/// A scratch file per process for the decoders that only read from disk. /dev/shm keeps the
/// per-input write off the real disk when it exists.
enum ScratchFile {
    static func path(_ tag: String) -> String {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(dir)/cmc-fuzz-\(getpid())-\(tag)"
    }

    static func write(_ bytes: [UInt8], tag: String) -> String? {
        let p = path(tag)
        return FileManager.default.createFile(atPath: p, contents: Data(bytes)) ? p : nil
    }
}

/// Checked product of dimensions: nil on overflow, so an oracle never traps on the values it checks.
func checkedProduct(_ dims: [Int]) -> Int? {
    var n = 1
    for d in dims {
        guard d >= 0 else { return nil }
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        n = p
    }
    return n
}
