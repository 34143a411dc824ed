#if arch(x86_64)
    import CPrefetch
    import _Builtin_intrinsics.intel

    /// The float32 matrix product on AVX-512: `C = alpha·op(A)·op(B) + beta·C`, row-major, one thread.
    ///
    /// Written for this project's CPUs, on which the system OpenBLAS (0.3.21) runs its AVX2 kernels. The
    /// classic blocked design: a block of B (`blockDepth` rows) is packed into panels of 32 columns, a block of
    /// A into panels of 12 rows, both contiguous in the order the micro-kernel reads them; the micro-kernel
    /// keeps a 12 × 32 tile of C in 24 registers while it runs down the depth (per step: 2 loads of B,
    /// 12 broadcasts of A, 24 fused multiply-adds). Transposes are absorbed by the packing (16 × 16 register
    /// transposes where the operand's rows run the other way), edges by narrower tiles and masked loads and
    /// stores. Each B panel (32 KB) stays in L1 while the A block (about 150 KB) streams past from L2; when A has
    /// few rows, B is read in place instead of copied.
    ///
    /// Precondition (the caller's, not checked here): the CPU has what this module is compiled for (AVX512F, BW,
    /// VL and VNNI: `CPUFeatures.avx512VNNI` in CMCTensor).
    public enum SGEMMKernel {
        /// Rows of a micro-tile (three groups of four) and columns (two vectors of 16).
        static let tileRows = 12
        static let tileColumns = 32
        /// Depth of the packed blocks: one B panel is `blockDepth × 32` floats, 32 KB of the 48 KB L1.
        static let blockDepth = 256
        /// Rows of A packed at once (a whole number of tiles).
        static let blockRows = 12 * 12
        /// Columns of B packed at once.
        static let blockColumns = 4096
        /// `Tile16`'s permutations, built once.
        static let transposeIndices = Tile16.indices()
        /// Up to this many columns (and with more rows) C is computed transposed: measured faster up to 16
        /// columns (a 16-wide tile needs one broadcast per multiply-add), not from 20.
        static let narrowColumns = 16
        /// Up to this many rows, B (not transposed) is read in place rather than packed.
        static let inPlaceRows = 96

        public static func multiply(
            transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
        ) {
            guard m > 0, n > 0 else { return }
            guard k > 0, alpha != 0 else { return scale(c, rows: m, columns: n, ldc: ldc, by: beta) }
            if n <= narrowColumns && m > n {
                return multiplyTransposed(
                    transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c, ldc: ldc)
            }
            // With a few tiles of rows to reuse a packed copy of B, the copy (a load and a store per value) costs
            // more than it saves: whole panels of a B stored along its columns are then read in place, row by
            // row (measured on one core: 32 × 8640 × 60 from about 165 to 200 GFLOP/s); only the last, partial
            // panel is packed.
            let inPlace = !transB && m <= inPlaceRows
            let depth = min(k, blockDepth)
            let packedA = allocate(min(m, blockRows).roundedUp(to: 4) * depth)
            let packedB = allocate((inPlace ? tileColumns : min(n, blockColumns).roundedUp(to: 16)) * depth)
            defer {
                packedA.deallocate()
                packedB.deallocate()
            }
            let indices = !transA || transB ? transposeIndices : nil
            for j0 in stride(from: 0, to: n, by: blockColumns) {
                let columns = min(blockColumns, n - j0)
                // Columns in whole panels.
                let whole = columns / tileColumns * tileColumns
                for p0 in stride(from: 0, to: k, by: blockDepth) {
                    let kb = min(blockDepth, k - p0)
                    if let indices, transB {
                        packTransposedB(b + j0 * ldb + p0, ldb, depth: kb, columns: columns, packedB, indices)
                    } else if !inPlace {
                        packB(b + p0 * ldb + j0, ldb, depth: kb, columns: columns, packedB)
                    } else if whole < columns {
                        packB(b + p0 * ldb + j0 + whole, ldb, depth: kb, columns: columns - whole, packedB)
                    }
                    // Later depth blocks add to what the first wrote.
                    let blockBeta = p0 == 0 ? beta : 1
                    for i0 in stride(from: 0, to: m, by: blockRows) {
                        let rows = min(blockRows, m - i0)
                        if let indices, !transA {
                            packA(a + i0 * lda + p0, lda, depth: kb, rows: rows, packedA, indices)
                        } else {
                            packTransposedA(a + p0 * lda + i0, lda, depth: kb, rows: rows, packedA)
                        }
                        for jt in stride(from: 0, to: columns, by: tileColumns) {
                            let width = min(tileColumns, columns - jt)
                            let packedStride = width > 16 ? 32 : 16
                            let (panel, panelStride) =
                                !inPlace
                                ? (UnsafePointer(packedB + jt * kb), packedStride)
                                : jt < whole ? (b + p0 * ldb + j0 + jt, ldb) : (UnsafePointer(packedB), packedStride)
                            for it in stride(from: 0, to: rows, by: tileRows) {
                                let out = Output(
                                    c: c + (i0 + it) * ldc + j0 + jt, ldc: ldc, rows: min(tileRows, rows - it),
                                    columns: width, alpha: alpha, beta: blockBeta)
                                tile(depth: kb, packedA + it * kb, panel, bStride: panelStride, out)
                            }
                        }
                    }
                }
            }
        }

        /// Cᵀ = op(B)ᵀ·op(A)ᵀ into a buffer, then added to C transposed: with 16 columns or fewer, lanes of each
        /// tile would be idle and every multiply-add would need its own broadcast of A.
        static func multiplyTransposed(
            transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
        ) {
            let t = allocate(n * m)
            defer { t.deallocate() }
            multiply(
                transA: !transB, transB: !transA, m: n, n: m, k: k, alpha: alpha, a: b, lda: ldb, b: a, ldb: lda,
                beta: 0, c: t, ldc: m)
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 {
                    for j in 0..<n { row[j] = t[j * m + i] }
                } else {
                    for j in 0..<n { row[j] = t[j * m + i] + beta * row[j] }
                }
            }
        }

        /// Where a micro-tile goes: `rows × columns` of C at `c`, scaled as `alpha·AB + beta·C`.
        struct Output {
            let c: UnsafeMutablePointer<Float>
            let ldc: Int
            let rows: Int
            let columns: Int
            let alpha: Float
            let beta: Float
        }

        /// One micro-tile, in the narrowest shape that covers it: 4, 8 or 12 rows (as packed), 16 or 32 columns.
        static func tile(
            depth: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, bStride: Int, _ out: Output
        ) {
            let wide = out.columns > 16
            switch (out.rows + 3) / 4 {
            case 3:
                if wide {
                    tile(TileShape<3, 2>.self, depth, a, b, bStride, out)
                } else {
                    tile(TileShape<3, 1>.self, depth, a, b, bStride, out)
                }
            case 2:
                if wide {
                    tile(TileShape<2, 2>.self, depth, a, b, bStride, out)
                } else {
                    tile(TileShape<2, 1>.self, depth, a, b, bStride, out)
                }
            default:
                if wide {
                    tile(TileShape<1, 2>.self, depth, a, b, bStride, out)
                } else {
                    tile(TileShape<1, 1>.self, depth, a, b, bStride, out)
                }
            }
        }

        /// A micro-tile's shape, `4 · groups` rows by `16 · vectors` columns, as a type: each shape gets a copy
        /// of the micro-kernel specialised to exactly its accumulators. (Passed as plain constants to an inlined
        /// function, the shapes were merged back by the compiler into one copy that branched on them at run
        /// time and kept its accumulators in memory.)
        struct TileShape<let groups: Int, let vectors: Int> {}

        /// The micro-kernel.
        @inline(never)
        static func tile<let groups: Int, let vectors: Int>(
            _ shape: TileShape<groups, vectors>.Type, _ depth: Int, _ a: UnsafePointer<Float>,
            _ b: UnsafePointer<Float>, _ bStride: Int, _ out: Output
        ) {
            // Prefetches (measured on the Intel Xeon of 2026-12-03, where the kernel waited on memory): the tile
            // of C, written once at the end, is asked for now; B is asked for 8 steps ahead, which matters when it
            // is read in place, a row of B apart per step (NN 32 × 8640 × 60 from ~65 to ~90 GFLOP/s on one
            // core; packed panels are in L1 already). A prefetch past the end of B does not fault.
            for r in 0..<min(out.rows, 4 * groups) {
                cmc_prefetch_write(out.c + r * out.ldc)
                if vectors > 1 { cmc_prefetch_write(out.c + r * out.ldc + 16) }
            }
            var acc = RegisterTile<__m512>()
            var (pa, pb) = (a, b)
            let ahead = 8 * bStride
            for _ in 0..<depth {
                cmc_prefetch_read(pb + ahead)
                if vectors > 1 { cmc_prefetch_read(pb + ahead + 16) }
                let b0 = _mm512_loadu_ps(pb)
                let b1 = vectors > 1 ? _mm512_loadu_ps(pb + 16) : b0
                // Row r += a[r] (broadcast) times the step's row of B; the rows unrolled, constants after inlining.
                @inline(__always)
                func fma(_ r: Int) {
                    let s = _mm512_set1_ps(pa[r])
                    acc.update(r) { low, high in
                        low = _mm512_fmadd_ps(s, b0, low)
                        if vectors > 1 { high = _mm512_fmadd_ps(s, b1, high) }
                    }
                }
                fma(0)
                fma(1)
                fma(2)
                fma(3)
                if groups > 1 {
                    fma(4)
                    fma(5)
                    fma(6)
                    fma(7)
                }
                if groups > 2 {
                    fma(8)
                    fma(9)
                    fma(10)
                    fma(11)
                }
                pa += 4 * groups
                pb += bStride
            }
            let (alpha, beta) = (_mm512_set1_ps(out.alpha), _mm512_set1_ps(out.beta))
            let low = mask(min(16, out.columns))
            let high = mask(max(0, out.columns - 16))
            let readsC = out.beta != 0
            for r in 0..<min(out.rows, 4 * groups) {
                let (v0, v1) = acc.row(r)
                let p = out.c + r * out.ldc
                var x = _mm512_mul_ps(v0, alpha)
                if readsC { x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(low, p), beta, x) }
                _mm512_mask_storeu_ps(p, low, x)
                guard vectors > 1 else { continue }
                var y = _mm512_mul_ps(v1, alpha)
                if readsC { y = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(high, p + 16), beta, y) }
                _mm512_mask_storeu_ps(p + 16, high, y)
            }
        }

        // MARK: Packing

        /// B (`depth × columns`, row-major at `b`) as panels of 32 columns (the last of 16 when at most 16 are
        /// left), each `depth` rows of its width, columns past the end zero.
        static func packB(
            _ b: UnsafePointer<Float>, _ ldb: Int, depth: Int, columns: Int, _ packed: UnsafeMutablePointer<Float>
        ) {
            for jt in stride(from: 0, to: columns, by: tileColumns) {
                let width = min(tileColumns, columns - jt)
                let (low, high) = (mask(min(16, width)), mask(max(0, width - 16)))
                let panel = packed + jt * depth
                if width > 16 {
                    for p in 0..<depth {
                        let from = b + p * ldb + jt
                        _mm512_store_ps(panel + 32 * p, _mm512_maskz_loadu_ps(low, from))
                        _mm512_store_ps(panel + 32 * p + 16, _mm512_maskz_loadu_ps(high, from + 16))
                    }
                } else {
                    for p in 0..<depth {
                        _mm512_store_ps(panel + 16 * p, _mm512_maskz_loadu_ps(low, b + p * ldb + jt))
                    }
                }
            }
        }

        /// `packB` of a B stored transposed (`columns × depth`, row-major at `b`): 16 columns' runs of 16 depths
        /// are loaded, transposed in registers and stored as 16 depths' runs of columns.
        static func packTransposedB(
            _ b: UnsafePointer<Float>, _ ldb: Int, depth: Int, columns: Int, _ packed: UnsafeMutablePointer<Float>,
            _ indices: (low: Tile16.Indices, high: Tile16.Indices)
        ) {
            for jt in stride(from: 0, to: columns, by: tileColumns) {
                let width = min(tileColumns, columns - jt)
                let rowLength = width > 16 ? 32 : 16
                let panel = packed + jt * depth
                for half in stride(from: 0, to: width, by: 16) {
                    let count = min(16, width - half)
                    for p0 in stride(from: 0, to: depth, by: 16) {
                        let steps = min(16, depth - p0)
                        let lanes = mask(steps)
                        var t = Tile16 { r in
                            r < count
                                ? _mm512_maskz_loadu_ps(lanes, b + (jt + half + r) * ldb + p0) : _mm512_setzero_ps()
                        }
                        t.transpose(indices.low, indices.high)
                        t.forEachRow { s, v in
                            if s < steps { _mm512_store_ps(panel + (p0 + s) * rowLength + half, v) }
                        }
                    }
                }
            }
        }

        /// A (`rows × depth`, row-major at `a`) as panels of 12 rows (the last of 4 or 8 when fewer are left),
        /// each `depth` columns of its height: 16 rows' runs of 16 depths transposed in registers.
        static func packA(
            _ a: UnsafePointer<Float>, _ lda: Int, depth: Int, rows: Int, _ packed: UnsafeMutablePointer<Float>,
            _ indices: (low: Tile16.Indices, high: Tile16.Indices)
        ) {
            for it in stride(from: 0, to: rows, by: tileRows) {
                let count = min(tileRows, rows - it)
                let height = count.roundedUp(to: 4)
                let kept = mask(height)
                let panel = packed + it * depth
                for p0 in stride(from: 0, to: depth, by: 16) {
                    let steps = min(16, depth - p0)
                    let lanes = mask(steps)
                    var t = Tile16 { r in
                        r < count ? _mm512_maskz_loadu_ps(lanes, a + (it + r) * lda + p0) : _mm512_setzero_ps()
                    }
                    t.transpose(indices.low, indices.high)
                    t.forEachRow { s, v in
                        if s < steps { _mm512_mask_storeu_ps(panel + (p0 + s) * height, kept, v) }
                    }
                }
            }
        }

        /// `packA` of an A stored transposed (`depth × rows`, row-major at `a`): plain copies.
        static func packTransposedA(
            _ a: UnsafePointer<Float>, _ lda: Int, depth: Int, rows: Int, _ packed: UnsafeMutablePointer<Float>
        ) {
            for it in stride(from: 0, to: rows, by: tileRows) {
                let count = min(tileRows, rows - it)
                let height = count.roundedUp(to: 4)
                let (valid, kept) = (mask(count), mask(height))
                let panel = packed + it * depth
                for p in 0..<depth {
                    _mm512_mask_storeu_ps(panel + p * height, kept, _mm512_maskz_loadu_ps(valid, a + p * lda + it))
                }
            }
        }

        /// C = beta·C (the product is empty); beta 0 writes zeros without reading C, as BLAS does.
        static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int, by beta: Float) {
            for i in 0..<rows {
                let row = c + i * ldc
                if beta == 0 {
                    row.update(repeating: 0, count: columns)
                } else {
                    for j in 0..<columns { row[j] *= beta }
                }
            }
        }

        /// The first `count` (0–16) lanes.
        @inline(__always)
        static func mask(_ count: Int) -> __mmask16 { __mmask16(truncatingIfNeeded: (1 << count) - 1) }

        /// Floats aligned to the 64-byte vectors the packed panels are read as.
        static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(count, 16))
        }
    }

    extension Int {
        fileprivate func roundedUp(to multiple: Int) -> Int { (self + multiple - 1) / multiple * multiple }
    }
#endif
