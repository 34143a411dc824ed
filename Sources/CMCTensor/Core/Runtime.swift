import CMalloc

/// Process-wide settings of the numeric runtime.
public enum Runtime {
    /// Keeps large freed blocks in the heap instead of returning them to the kernel.
    ///
    /// Training allocates and frees the same tens-of-megabytes buffers (im2col columns, activations)
    /// every step. glibc serves blocks above its mmap threshold with fresh mappings, so each step paid
    /// for page faults and kernel page zeroing — measured at over 10 % of a training step.
    public static func configureAllocator() {
        _ = mallopt(M_MMAP_THRESHOLD, 512 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
    }
}
