#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// Sixteen vectors of 16 floats, transposed in registers in four stages: stage d swaps, between rows i
    /// and i + d (bit d of i clear), the lanes with bit d set in row i and those with it clear in row
    /// i + d (the off-diagonal d × d blocks), i.e. swaps bit d of the row index with bit d of the lane.
    /// Written out: an array of vectors would live in memory. Used where data changes between channels-first and
    /// channels-last (the int8 conversions) and where the float32 product packs an operand stored the other way.
    struct Tile16 {
        var r0: __m512
        var r1: __m512
        var r2: __m512
        var r3: __m512
        var r4: __m512
        var r5: __m512
        var r6: __m512
        var r7: __m512
        var r8: __m512
        var r9: __m512
        var r10: __m512
        var r11: __m512
        var r12: __m512
        var r13: __m512
        var r14: __m512
        var r15: __m512

        @inline(__always)
        init(_ row: (Int) -> __m512) {
            r0 = row(0)
            r1 = row(1)
            r2 = row(2)
            r3 = row(3)
            r4 = row(4)
            r5 = row(5)
            r6 = row(6)
            r7 = row(7)
            r8 = row(8)
            r9 = row(9)
            r10 = row(10)
            r11 = row(11)
            r12 = row(12)
            r13 = row(13)
            r14 = row(14)
            r15 = row(15)
        }

        @inline(__always)
        func forEachRow(_ body: (Int, __m512) -> Void) {
            body(0, r0)
            body(1, r1)
            body(2, r2)
            body(3, r3)
            body(4, r4)
            body(5, r5)
            body(6, r6)
            body(7, r7)
            body(8, r8)
            body(9, r9)
            body(10, r10)
            body(11, r11)
            body(12, r12)
            body(13, r13)
            body(14, r14)
            body(15, r15)
        }

        @inline(__always)
        mutating func transpose(_ low: Indices, _ high: Indices) {
            @inline(__always)
            func swap(_ a: inout __m512, _ b: inout __m512, _ l: __m512i, _ h: __m512i) {
                (a, b) = (_mm512_permutex2var_ps(a, l, b), _mm512_permutex2var_ps(a, h, b))
            }
            // d = 8
            swap(&r0, &r8, low.0, high.0)
            swap(&r1, &r9, low.0, high.0)
            swap(&r2, &r10, low.0, high.0)
            swap(&r3, &r11, low.0, high.0)
            swap(&r4, &r12, low.0, high.0)
            swap(&r5, &r13, low.0, high.0)
            swap(&r6, &r14, low.0, high.0)
            swap(&r7, &r15, low.0, high.0)
            // d = 4
            swap(&r0, &r4, low.1, high.1)
            swap(&r1, &r5, low.1, high.1)
            swap(&r2, &r6, low.1, high.1)
            swap(&r3, &r7, low.1, high.1)
            swap(&r8, &r12, low.1, high.1)
            swap(&r9, &r13, low.1, high.1)
            swap(&r10, &r14, low.1, high.1)
            swap(&r11, &r15, low.1, high.1)
            // d = 2
            swap(&r0, &r2, low.2, high.2)
            swap(&r1, &r3, low.2, high.2)
            swap(&r4, &r6, low.2, high.2)
            swap(&r5, &r7, low.2, high.2)
            swap(&r8, &r10, low.2, high.2)
            swap(&r9, &r11, low.2, high.2)
            swap(&r12, &r14, low.2, high.2)
            swap(&r13, &r15, low.2, high.2)
            // d = 1
            swap(&r0, &r1, low.3, high.3)
            swap(&r2, &r3, low.3, high.3)
            swap(&r4, &r5, low.3, high.3)
            swap(&r6, &r7, low.3, high.3)
            swap(&r8, &r9, low.3, high.3)
            swap(&r10, &r11, low.3, high.3)
            swap(&r12, &r13, low.3, high.3)
            swap(&r14, &r15, low.3, high.3)
        }

        typealias Indices = (__m512i, __m512i, __m512i, __m512i)

        /// `permutex2var` indices of each stage (d = 8, 4, 2, 1), for row i and for row i + d.
        static func indices() -> (low: Indices, high: Indices) {
            func vector(_ lane: (Int) -> Int) -> __m512i {
                let v = (0..<16).map { Int32(lane($0)) }
                return v.withUnsafeBufferPointer { _mm512_loadu_si512(UnsafeRawPointer($0.baseAddress!)) }
            }
            func low(_ d: Int) -> __m512i { vector { $0 & d != 0 ? 16 + $0 - d : $0 } }
            func high(_ d: Int) -> __m512i { vector { $0 & d != 0 ? 16 + $0 : $0 + d } }
            return ((low(8), low(4), low(2), low(1)), (high(8), high(4), high(2), high(1)))
        }
    }
#endif
