import CMalloc
import Foundation

/// Gives freed heap memory back to the kernel: after a model swap, and once a minute.
///
/// The numeric runtime tells glibc to keep freed blocks (`Runtime.configureAllocator`: training reuses
/// the same large buffers every step). In the daemon that means every reload leaves the previous
/// model's pages resident (measured: +20 MB of RSS per reload of the full-size model, until the heap's
/// holes happened to fit), and each worker thread's arena keeps its largest batch's buffers forever.
/// `malloc_trim(0)` returns every free page of every arena, so a long-running daemon's RSS tracks what
/// it uses; once a minute costs a few page faults, nothing measurable.
enum MemoryTrim {
    /// Returns free heap pages to the kernel; the resident size before and after, in KiB.
    @discardableResult
    static func release() -> (before: Int?, after: Int?) {
        let before = residentKiB()
        _ = malloc_trim(0)
        return (before, residentKiB())
    }

    /// `VmRSS` of /proc/self/status.
    static func residentKiB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap {
            Int($0.split(separator: " ").dropFirst().first ?? "")
        }
    }
}
