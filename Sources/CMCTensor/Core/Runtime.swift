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

    /// `configureAllocator`, plus one heap shared by all threads, for training.
    ///
    /// Training steps run the two modalities on two threads (`concurrentBranches`). glibc gives the second
    /// thread its own arena, whose heaps are capped at 64 MB and hand large blocks back to the kernel, so
    /// that thread page-faulted its buffers in again every step. Training allocates few, large blocks, so
    /// sharing the main heap's lock costs nothing measurable. (The daemon keeps per-thread arenas.)
    public static func configureAllocatorForTraining() {
        configureAllocator()
        _ = mallopt(M_ARENA_MAX, 1)
    }
}
