#if arch(x86_64)
    // Clang's builtin module for <cpuid.h>: `__get_cpuid` / `__get_cpuid_count` are inline functions Swift imports.
    import _Builtin_intrinsics.intel.cpuid
#endif

/// Instructions this CPU offers beyond the baseline x86-64 the package is built for.
///
/// Read with CPUID, not from /proc/cpuinfo: the systemd units mount /proc with `ProcSubset=pid`, which hides
/// /proc/cpuinfo, and a daemon that lost its fast kernels (and refused int8) under its own unit would be a
/// deployment bug no test outside systemd sees.
public enum CPUFeatures {
    /// AVX-512 with the VNNI int8 dot products (`vpdpbusd`), and the kernel saving the registers.
    public static let avx512VNNI: Bool = {
        #if arch(x86_64)
            return CPUID.read().map(supportsAVX512VNNI) ?? false
        #else
            return false
        #endif
    }()

    /// The CPUID words the decision rests on.
    struct CPUID: Equatable {
        /// Leaf 1, ECX (bit 27: the kernel enabled XSAVE/XGETBV, OSXSAVE).
        var leaf1ECX: UInt32
        /// Leaf 7 sub-leaf 0, EBX (16: AVX512F, 30: AVX512BW, 31: AVX512VL) and ECX (11: AVX512_VNNI).
        var leaf7EBX: UInt32
        var leaf7ECX: UInt32
        /// Leaf 0xD sub-leaf 0, EBX: the XSAVE area size the features the kernel enabled in XCR0 need.
        var enabledStateSize: UInt32
        /// Leaf 0xD sub-leaf 7: size (EAX) and offset (EBX) of the Hi16_ZMM state, the last AVX-512 component.
        var hi16ZMMSize: UInt32
        var hi16ZMMOffset: UInt32

        #if arch(x86_64)
            static func read() -> CPUID? {
                var a: UInt32 = 0
                var b: UInt32 = 0
                var c: UInt32 = 0
                var d: UInt32 = 0
                guard __get_cpuid(1, &a, &b, &c, &d) != 0 else { return nil }
                let leaf1ECX = c
                guard __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 else { return nil }
                let (leaf7EBX, leaf7ECX) = (b, c)
                guard __get_cpuid_count(0xD, 0, &a, &b, &c, &d) != 0 else { return nil }
                let enabled = b
                guard __get_cpuid_count(0xD, 7, &a, &b, &c, &d) != 0 else { return nil }
                return CPUID(
                    leaf1ECX: leaf1ECX, leaf7EBX: leaf7EBX, leaf7ECX: leaf7ECX, enabledStateSize: enabled,
                    hi16ZMMSize: a, hi16ZMMOffset: b)
            }
        #endif
    }

    /// Whether `id` describes a CPU with AVX-512 F/BW/VL and VNNI whose kernel saves the AVX-512 registers.
    ///
    /// The instruction bits say what the silicon has; whether the kernel saves the ZMM state is XCR0, which
    /// Swift cannot read (`_xgetbv` is a macro over a builtin). CPUID answers that too: leaf 0xD's EBX is the
    /// size the XSAVE area needs *for the features enabled in XCR0*, so it reaches past the end of the
    /// Hi16_ZMM component only when the kernel enabled AVX-512 state.
    static func supportsAVX512VNNI(_ id: CPUID) -> Bool {
        func bit(_ word: UInt32, _ n: UInt32) -> Bool { word >> n & 1 == 1 }
        let osxsave = bit(id.leaf1ECX, 27)
        let instructions =
            bit(id.leaf7EBX, 16) && bit(id.leaf7EBX, 30) && bit(id.leaf7EBX, 31) && bit(id.leaf7ECX, 11)
        let stateSaved =
            id.hi16ZMMSize > 0 && UInt64(id.enabledStateSize) >= UInt64(id.hi16ZMMOffset) + UInt64(id.hi16ZMMSize)
        return osxsave && instructions && stateSaved
    }
}
