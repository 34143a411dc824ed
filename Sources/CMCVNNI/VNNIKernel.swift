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
