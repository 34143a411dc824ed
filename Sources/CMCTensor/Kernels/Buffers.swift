extension Array where Element == Float {
    /// `count` values the caller writes every one of before reading any: kernels whose output a GEMM
    /// (beta 0) or a full loop overwrites skip the memset of a zero-filled array (several percent of a
    /// training step, most of it on buffers of megabytes).
    @inline(__always)
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
