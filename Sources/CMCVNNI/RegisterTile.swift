#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// The 12 × 32 tile of results the micro-kernels keep in 24 vector registers (`SGEMMKernel`: floats,
    /// `VNNIKernel`: 32-bit sums): row r in `c{r}a` (columns 0–15) and `c{r}b` (16–31).
    ///
    /// Written out as 24 stored properties, reached through switches that fold away when the row is a constant
    /// (as in the kernels, after inlining): an array of vectors would live in memory.
    struct RegisterTile<Vector: SIMD> {
        var c0a = Vector(), c0b = Vector()
        var c1a = Vector(), c1b = Vector()
        var c2a = Vector(), c2b = Vector()
        var c3a = Vector(), c3b = Vector()
        var c4a = Vector(), c4b = Vector()
        var c5a = Vector(), c5b = Vector()
        var c6a = Vector(), c6b = Vector()
        var c7a = Vector(), c7b = Vector()
        var c8a = Vector(), c8b = Vector()
        var c9a = Vector(), c9b = Vector()
        var c10a = Vector(), c10b = Vector()
        var c11a = Vector(), c11b = Vector()

        /// Lets `body` update row `r`'s two vectors in place.
        @inline(__always)
        mutating func update(_ r: Int, _ body: (inout Vector, inout Vector) -> Void) {
            switch r {
            case 0: body(&c0a, &c0b)
            case 1: body(&c1a, &c1b)
            case 2: body(&c2a, &c2b)
            case 3: body(&c3a, &c3b)
            case 4: body(&c4a, &c4b)
            case 5: body(&c5a, &c5b)
            case 6: body(&c6a, &c6b)
            case 7: body(&c7a, &c7b)
            case 8: body(&c8a, &c8b)
            case 9: body(&c9a, &c9b)
            case 10: body(&c10a, &c10b)
            default: body(&c11a, &c11b)
            }
        }

        /// Row `r`'s two vectors.
        @inline(__always)
        func row(_ r: Int) -> (Vector, Vector) {
            switch r {
            case 0: (c0a, c0b)
            case 1: (c1a, c1b)
            case 2: (c2a, c2b)
            case 3: (c3a, c3b)
            case 4: (c4a, c4b)
            case 5: (c5a, c5b)
            case 6: (c6a, c6b)
            case 7: (c7a, c7b)
            case 8: (c8a, c8b)
            case 9: (c9a, c9b)
            case 10: (c10a, c10b)
            default: (c11a, c11b)
            }
        }
    }
#endif
