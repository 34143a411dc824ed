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
