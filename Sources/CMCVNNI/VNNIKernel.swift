#if arch(x86_64)
    import _Builtin_intrinsics.intel

    // This module is compiled with AVX-512 enabled (Package.swift), which also lets the compiler use those
    // instructions anywhere in it: it holds nothing but the kernel, and callers check the CPU first
    // (`CPUFeatures.avx512VNNI` in CMCTensor).

    /// The int8 matrix product on AVX512-VNNI: `vpdpbusd` multiplies 4 unsigned by 4 signed bytes and adds
    /// the 4 products to a 32-bit lane, 64 multiply-adds per instruction.
    public enum VNNIKernel {
        /// `c[i][j] = Σ_k a[i][k] · b[k][j]` for `rows` rows of `a` and the `paddedColumns` columns of `b`.
        ///
        /// - `a`: unsigned bytes, row `i` at `a + i * stride`, `4 * groups` readable bytes per row (what lies
        ///   beyond the true depth is multiplied by the zero rows `b` is padded with).
        /// - `b`: signed bytes packed in groups of four rows: group `g` holds, for each column `j`, the four
        ///   bytes `b[4g..<4g+4][j]` at `b + (g * paddedColumns + j) * 4`; `paddedColumns` a multiple of 16.
        /// - `c`: `rows × paddedColumns` 32-bit results, row-major.
        ///
        /// Precondition (the caller's, not checked here): the CPU has AVX512F, BW, VL and VNNI.
        public static func multiply(
            _ a: UnsafePointer<UInt8>, rows: Int, stride: Int, groups: Int,
            _ b: UnsafePointer<Int8>, paddedColumns: Int, _ c: UnsafeMutablePointer<Int32>
        ) {
            let groupBytes = paddedColumns * 4
            // 4 rows × 32 columns per tile: 8 accumulators, 2 loads of b and 4 broadcasts of a per group.
            var i = 0
            while i < rows {
                let tileRows = min(4, rows - i)
                var j = 0
                while j < paddedColumns {
                    let pair = j + 16 < paddedColumns
                    var acc = Tile()
                    // Rows past the end repeat the last row (computed, never stored).
                    let r0 = a + i * stride
                    let r1 = a + (i + min(1, tileRows - 1)) * stride
                    let r2 = a + (i + min(2, tileRows - 1)) * stride
                    let r3 = a + (i + min(3, tileRows - 1)) * stride
                    for g in 0..<groups {
                        let pb = UnsafeRawPointer(b + g * groupBytes + j * 4)
                        let b0 = _mm512_loadu_si512(pb)
                        let b1 = pair ? _mm512_loadu_si512(pb + 64) : b0
                        let a0 = broadcast(r0 + g * 4)
                        acc.c00 = _mm512_dpbusd_epi32(acc.c00, a0, b0)
                        acc.c01 = _mm512_dpbusd_epi32(acc.c01, a0, b1)
                        let a1 = broadcast(r1 + g * 4)
                        acc.c10 = _mm512_dpbusd_epi32(acc.c10, a1, b0)
                        acc.c11 = _mm512_dpbusd_epi32(acc.c11, a1, b1)
                        let a2 = broadcast(r2 + g * 4)
                        acc.c20 = _mm512_dpbusd_epi32(acc.c20, a2, b0)
                        acc.c21 = _mm512_dpbusd_epi32(acc.c21, a2, b1)
                        let a3 = broadcast(r3 + g * 4)
                        acc.c30 = _mm512_dpbusd_epi32(acc.c30, a3, b0)
                        acc.c31 = _mm512_dpbusd_epi32(acc.c31, a3, b1)
                    }
                    for r in 0..<tileRows {
                        let out = UnsafeMutableRawPointer(c + (i + r) * paddedColumns + j)
                        let (left, right) = acc.row(r)
                        _mm512_storeu_si512(out, left)
                        if pair { _mm512_storeu_si512(out + 64, right) }
                    }
                    j += pair ? 32 : 16
                }
                i += 4
            }
        }

        /// `ByteConversions.quantise`, 16 lanes wide.
        public static func quantise(
            _ source: UnsafePointer<Float>, count: Int, inverseScale: Float, zeroPoint: Float,
            into target: UnsafeMutablePointer<UInt8>
        ) {
            ByteConversions.quantise(
                source, count: count, inverseScale: inverseScale, zeroPoint: zeroPoint, into: target)
        }

        /// `ByteConversions.quantiseChannelsLast` in 16 × 16 tiles: 16 channels' runs of 16 positions are
        /// loaded, transposed in registers, rounded (to nearest, half to even, as `quantise`), clamped and
        /// stored as 16 positions' runs of channel bytes.
        public static func quantiseChannelsLast(
            _ source: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int, padH: Int, padW: Int,
            inverseScale: Float, zeroPoint: Float, into target: UnsafeMutablePointer<UInt8>
        ) {
            let (paddedH, paddedW) = (height + 2 * padH, width + 2 * padW)
            let (low, high) = Tile16.indices()
            let (inverse, zero) = (_mm512_set1_ps(inverseScale), _mm512_set1_ps(zeroPoint))
            let (floor, ceiling) = (_mm512_setzero_si512(), _mm512_set1_epi32(255))
            for b in 0..<batch {
                for h in 0..<height {
                    let to = target + ((b * paddedH + h + padH) * paddedW + padW) * channels
                    for w0 in stride(from: 0, to: width, by: 16) {
                        let positions = min(16, width - w0)
                        let lanes = __mmask16(truncatingIfNeeded: (1 << positions) - 1)
                        for c0 in stride(from: 0, to: channels, by: 16) {
                            let count = min(16, channels - c0)
                            var tile = Tile16 { r in
                                guard r < count else { return _mm512_setzero_ps() }
                                let from = source + ((b * channels + c0 + r) * height + h) * width + w0
                                return _mm512_maskz_loadu_ps(lanes, UnsafeRawPointer(from))
                            }
                            tile.transpose(low, high)
                            let bytes = __mmask16(truncatingIfNeeded: (1 << count) - 1)
                            tile.forEachRow { w, v in
                                guard w < positions else { return }
                                let q = _mm512_cvtps_epi32(_mm512_fmadd_ps(v, inverse, zero))
                                let clamped = _mm512_min_epi32(_mm512_max_epi32(q, floor), ceiling)
                                _mm_mask_storeu_epi8(
                                    UnsafeMutableRawPointer(to + (w0 + w) * channels + c0), bytes,
                                    _mm512_cvtepi32_epi8(clamped))
                            }
                        }
                    }
                }
            }
        }

        /// `ByteConversions.dequantise`, 16 lanes wide; channels-first output (`spatial`) in 16 × 16 tiles:
        /// 16 positions' results are converted (16 channels per vector), transposed in registers and stored
        /// as 16 channels' runs of positions.
        public static func dequantise(
            _ product: UnsafePointer<Int32>, rows: Int, columns: Int, outputs: Int, factor: UnsafePointer<Float>,
            constant: UnsafePointer<Float>, spatial: Int?, into out: UnsafeMutablePointer<Float>
        ) {
            guard let spatial, columns % 16 == 0 else {
                return ByteConversions.dequantise(
                    product, rows: rows, columns: columns, outputs: outputs, factor: factor, constant: constant,
                    spatial: spatial, into: out)
            }
            var scaleLanes = [Float](repeating: 0, count: columns)
            var offsetLanes = [Float](repeating: 0, count: columns)
            for o in 0..<outputs { (scaleLanes[o], offsetLanes[o]) = (factor[o], constant[o]) }
            let (low, high) = Tile16.indices()
            for b in 0..<(rows / spatial) {
                let from = product + b * spatial * columns
                let to = out + b * outputs * spatial
                for s0 in stride(from: 0, to: spatial, by: 16) {
                    let positions = min(16, spatial - s0)
                    let mask = __mmask16(truncatingIfNeeded: (1 << positions) - 1)
                    for o0 in stride(from: 0, to: outputs, by: 16) {
                        let f = _mm512_loadu_ps(scaleLanes.withUnsafeBufferPointer { $0.baseAddress! + o0 })
                        let k = _mm512_loadu_ps(offsetLanes.withUnsafeBufferPointer { $0.baseAddress! + o0 })
                        // Positions past the end repeat the last one (converted, never stored).
                        var tile = Tile16 { r in
                            let row = from + (s0 + min(r, positions - 1)) * columns + o0
                            return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(UnsafeRawPointer(row))), f, k)
                        }
                        tile.transpose(low, high)
                        let channels = min(16, outputs - o0)
                        tile.forEachRow { c, v in
                            if c < channels {
                                _mm512_mask_storeu_ps(UnsafeMutableRawPointer(to + (o0 + c) * spatial + s0), mask, v)
                            }
                        }
                    }
                }
            }
        }

        /// Sixteen vectors of 16 floats, transposed in registers in four stages: stage d swaps, between rows i
        /// and i + d (bit d of i clear), the lanes with bit d set in row i and those with it clear in row
        /// i + d (the off-diagonal d × d blocks), i.e. swaps bit d of the row index with bit d of the lane.
        /// Written out: an array of vectors would live in memory.
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

        private struct Tile {
            var c00 = _mm512_setzero_si512(), c01 = _mm512_setzero_si512()
            var c10 = _mm512_setzero_si512(), c11 = _mm512_setzero_si512()
            var c20 = _mm512_setzero_si512(), c21 = _mm512_setzero_si512()
            var c30 = _mm512_setzero_si512(), c31 = _mm512_setzero_si512()

            func row(_ r: Int) -> (__m512i, __m512i) {
                switch r {
                case 0: (c00, c01)
                case 1: (c10, c11)
                case 2: (c20, c21)
                default: (c30, c31)
                }
            }
        }

        /// Four consecutive bytes, repeated in every 32-bit lane.
        @inline(__always)
        private static func broadcast(_ p: UnsafePointer<UInt8>) -> __m512i {
            _mm512_set1_epi32(Int32(bitPattern: UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)))
        }
    }
#endif
