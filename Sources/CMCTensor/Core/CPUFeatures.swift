import Foundation

/// Instructions this CPU offers beyond the baseline x86-64 the package is built for.
public enum CPUFeatures {
    /// AVX-512 with the VNNI int8 dot products (`vpdpbusd`), and the kernel saving the registers.
    public static let avx512VNNI: Bool = {
        #if arch(x86_64)
            // /proc/cpuinfo rather than CPUID: the kernel lists a feature only when it also saves that
            // register state, and Swift has no inline assembly for CPUID.
            let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
            return flags(cpuinfo: info).isSuperset(of: vnniFlags)
        #else
            return false
        #endif
    }()

    static let vnniFlags: Set<Substring> = ["avx512f", "avx512bw", "avx512vl", "avx512_vnni"]

    /// The feature flags of the first processor listed in a /proc/cpuinfo text.
    static func flags(cpuinfo: String) -> Set<Substring> {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }
}
