#if arch(x86_64)
    import _Builtin_intrinsics.intel

    // This module is compiled with AVX-512 enabled (Package.swift), which also lets the compiler use those
    // instructions anywhere in it: it holds nothing but the kernel, and callers check the CPU first
    // (`CPUFeatures.avx512VNNI` in CMCTensor).

    /// The int8 matrix product on AVX512-VNNI: `vpdpbusd` multiplies 4 unsigned by 4 signed bytes and adds
    /// the 4 products to a 32-bit lane, 64 multiply-adds per instruction.
    public enum VNNIKernel {
        /// Columns of a panel of `b`: two vectors of 16 32-bit lanes.
        public static let panelColumns = 32

        /// Where column `j`'s panel starts in `b` and how wide it is: panels of `panelColumns` columns, the
        /// last one 16 wide when `paddedColumns` is an odd multiple of 16; each panel holds its columns for every
        /// group of rows, `width · 4` bytes a group, so the kernel reads it front to back.
        @inline(__always)
        public static func panel(column j: Int, groups: Int, paddedColumns: Int) -> (offset: Int, width: Int) {
            let start = j / panelColumns * panelColumns
            return (start * groups * 4, min(panelColumns, paddedColumns - start))
        }

        /// `c[i][j] = Σ_k a[i][k] · b[k][j]` for `rows` rows of `a` and the `paddedColumns` columns of `b`.
        ///
        /// - `a`: unsigned bytes, row `i` at `a + i * stride`, `4 * groups` readable bytes per row (what lies
        ///   beyond the true depth is multiplied by the zero rows `b` is padded with).
        /// - `b`: signed bytes in panels (`panel(column:groups:paddedColumns:)`); within a panel of width `w`,
        ///   group `g` holds, for each of its columns `j`, the four bytes `b[4g..<4g+4][j]` at `(g * w + j) * 4`;
        ///   `paddedColumns` a multiple of 16.
        /// - `c`: `rows × paddedColumns` 32-bit results, row-major, every one written.
        ///
        /// A tile of 12 rows × 32 columns (24 accumulators: enough independent sums to cover `vpdpbusd`'s
        /// latency on both vector ports) runs down a panel, which is contiguous: the previous layout (each group
        /// a whole row of `b`) made every step a load `paddedColumns · 4` bytes further on, which neither the L1
        /// cache's sets nor the prefetchers follow (the kernel spent most of its time waiting for `b`).
        ///
        /// Precondition (the caller's, not checked here): the CPU has AVX512F, BW, VL and VNNI.
        public static func multiply(
            _ a: UnsafePointer<UInt8>, rows: Int, stride: Int, groups: Int,
            _ b: UnsafePointer<Int8>, paddedColumns: Int, _ c: UnsafeMutablePointer<Int32>
        ) {
            for j in Swift.stride(from: 0, to: paddedColumns, by: panelColumns) {
                let (offset, width) = panel(column: j, groups: groups, paddedColumns: paddedColumns)
                let pb = UnsafeRawPointer(b + offset)
                var i = 0
                while i < rows {
                    let out = Output(
                        a: a + i * stride, stride: stride, rows: min(12, rows - i),
                        c: c + i * paddedColumns + j, ldc: paddedColumns)
                    switch ((out.rows + 3) / 4, width > 16) {
                    case (3, true): tile(TileShape<3, 2>.self, groups, pb, out)
                    case (3, false): tile(TileShape<3, 1>.self, groups, pb, out)
                    case (2, true): tile(TileShape<2, 2>.self, groups, pb, out)
                    case (2, false): tile(TileShape<2, 1>.self, groups, pb, out)
                    case (_, true): tile(TileShape<1, 2>.self, groups, pb, out)
                    case (_, false): tile(TileShape<1, 1>.self, groups, pb, out)
                    }
                    i += 12
                }
            }
        }

        /// A tile's rows of `a` and where its results go.
        struct Output {
            let a: UnsafePointer<UInt8>
            let stride: Int
            let rows: Int
            let c: UnsafeMutablePointer<Int32>
            let ldc: Int

            /// Row `r` of the tile; rows past the end repeat the last one (computed, never stored).
            @inline(__always)
            func row(_ r: Int) -> UnsafePointer<UInt8> { a + min(r, rows - 1) * stride }
        }

        /// A tile's shape, `4 · rowGroups` rows by `16 · vectors` columns, as a type: each shape gets its own copy
        /// of the kernel with exactly its accumulators in registers (as `SGEMMKernel.TileShape`).
        struct TileShape<let rowGroups: Int, let vectors: Int> {}

        @inline(never)
        static func tile<let rowGroups: Int, let vectors: Int>(
            _ shape: TileShape<rowGroups, vectors>.Type, _ groups: Int, _ b: UnsafeRawPointer, _ out: Output
        ) {
            let (r0, r1, r2, r3) = (out.row(0), out.row(1), out.row(2), out.row(3))
            let (r4, r5, r6, r7) = (out.row(4), out.row(5), out.row(6), out.row(7))
            let (r8, r9, r10, r11) = (out.row(8), out.row(9), out.row(10), out.row(11))
            var acc = RegisterTile<__m512i>()
            var pb = b
            let step = 64 * vectors
            for g in 0..<groups {
                let b0 = _mm512_loadu_si512(pb)
                let b1 = vectors > 1 ? _mm512_loadu_si512(pb + 64) : b0
                let k = 4 * g
                // Row r += its four bytes of `a` (broadcast) times the group's bytes of `b`.
                @inline(__always)
                func dot(_ r: Int, _ a: UnsafePointer<UInt8>) {
                    let x = broadcast(a + k)
                    acc.update(r) { low, high in
                        low = _mm512_dpbusd_epi32(low, x, b0)
                        if vectors > 1 { high = _mm512_dpbusd_epi32(high, x, b1) }
                    }
                }
                dot(0, r0)
                dot(1, r1)
                dot(2, r2)
                dot(3, r3)
                if rowGroups > 1 {
                    dot(4, r4)
                    dot(5, r5)
                    dot(6, r6)
                    dot(7, r7)
                }
                if rowGroups > 2 {
                    dot(8, r8)
                    dot(9, r9)
                    dot(10, r10)
                    dot(11, r11)
                }
                pb += step
            }
            for r in 0..<min(out.rows, 4 * rowGroups) {
                let p = UnsafeMutableRawPointer(out.c + r * out.ldc)
                let (left, right) = acc.row(r)
                _mm512_storeu_si512(p, left)
                if vectors > 1 { _mm512_storeu_si512(p + 64, right) }
            }
        }

        /// The smallest and largest of `count` values and zero, NaN ignored (`vminps` / `vmaxps` return their second
        /// operand, the running extreme, when the value is NaN): `ByteQuantisation`'s range, 16 lanes wide.
        public static func range(_ source: UnsafePointer<Float>, count: Int) -> (low: Float, high: Float) {
            var (low, high) = (_mm512_setzero_ps(), _mm512_setzero_ps())
            var i = 0
            while i < count {
                let lanes = __mmask16(truncatingIfNeeded: (1 << min(16, count - i)) - 1)
                // Masked-off lanes load zero, which the range holds anyway.
                let v = _mm512_maskz_loadu_ps(lanes, UnsafeRawPointer(source + i))
                low = _mm512_min_ps(v, low)
                high = _mm512_max_ps(v, high)
                i += 16
            }
            return (_mm512_reduce_min_ps(low), _mm512_reduce_max_ps(high))
        }

        /// The patch matrix of a convolution from its zero-padded channels-last byte image: row `r` = (sample,
        /// output row, output column) holds the `kernelH` runs of `span` bytes starting at image position
        /// (`outRow · strideH + i`, `outColumn · strideW`) of that sample, back to back, then `fill` up to
        /// `rowStride`. The runs are a few dozen bytes: copied as masked 64-byte moves rather than a `memmove`
        /// call each (those calls were 9 % of the int8 skeleton encoder), every byte of `patches` written.
        public static func gatherPatches(
            _ image: UnsafePointer<UInt8>, batch: Int, paddedH: Int, paddedW: Int, channels: Int, kernelH: Int,
            span: Int, strideH: Int, strideW: Int, outH: Int, outW: Int, rowStride: Int, fill: UInt8,
            into patches: UnsafeMutablePointer<UInt8>
        ) {
            func mask(_ n: Int) -> __mmask64 { n >= 64 ? ~0 : (1 << UInt64(n)) &- 1 }
            let filler = _mm512_set1_epi8(CChar(bitPattern: fill))
            let used = kernelH * span
            for b in 0..<batch {
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        let row = patches + ((b * outH + oh) * outW + ow) * rowStride
                        for i in 0..<kernelH {
                            let from = image + ((b * paddedH + oh * strideH + i) * paddedW + ow * strideW) * channels
                            let to = row + i * span
                            var k = 0
                            while k < span {
                                let m = mask(span - k)
                                _mm512_mask_storeu_epi8(
                                    UnsafeMutableRawPointer(to + k), m,
                                    _mm512_maskz_loadu_epi8(m, UnsafeRawPointer(from + k)))
                                k += 64
                            }
                        }
                        var k = used
                        while k < rowStride {
                            _mm512_mask_storeu_epi8(UnsafeMutableRawPointer(row + k), mask(rowStride - k), filler)
                            k += 64
                        }
                    }
                }
            }
        }

        /// 2 × 2 max pooling with stride 2 of `planes` planes of `height × width` floats into `target`
        /// (`height / 2 × width / 2` per plane; an odd last row or column is dropped, as in PyTorch): 16 outputs
        /// from 32 columns of two rows at a time, the even and odd columns picked by two permutes. The scalar
        /// loop's stride-2 reads did not vectorise; it was 8 % of the int8 skeleton encoder.
        public static func maxPool2x2(
            _ source: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
            into target: UnsafeMutablePointer<Float>
        ) {
            let (outH, outW) = (height / 2, width / 2)
            func lanes(_ f: (Int32) -> Int32) -> __m512i {
                let v = (0..<16).map { f(Int32($0)) }
                return v.withUnsafeBufferPointer { _mm512_loadu_si512(UnsafeRawPointer($0.baseAddress!)) }
            }
            let (even, odd) = (lanes { 2 * $0 }, lanes { 2 * $0 + 1 })
            for p in 0..<planes {
                for y in 0..<outH {
                    let r0 = source + (p * height + 2 * y) * width
                    let r1 = r0 + width
                    let out = target + (p * outH + y) * outW
                    var j = 0
                    while j < outW {
                        let n = min(16, outW - j)
                        let first = __mmask16(truncatingIfNeeded: (1 << min(16, 2 * n)) - 1)
                        let second = __mmask16(truncatingIfNeeded: (1 << max(0, 2 * n - 16)) - 1)
                        // max(b, a) is `b > a ? b : a`, as `Swift.max(a, b)` but for equal values' signs.
                        let a = _mm512_max_ps(
                            _mm512_maskz_loadu_ps(first, UnsafeRawPointer(r1 + 2 * j)),
                            _mm512_maskz_loadu_ps(first, UnsafeRawPointer(r0 + 2 * j)))
                        let b = _mm512_max_ps(
                            _mm512_maskz_loadu_ps(second, UnsafeRawPointer(r1 + 2 * j + 16)),
                            _mm512_maskz_loadu_ps(second, UnsafeRawPointer(r0 + 2 * j + 16)))
                        let pooled = _mm512_max_ps(
                            _mm512_permutex2var_ps(a, odd, b), _mm512_permutex2var_ps(a, even, b))
                        _mm512_mask_storeu_ps(
                            UnsafeMutableRawPointer(out + j), __mmask16(truncatingIfNeeded: (1 << n) - 1), pooled)
                        j += 16
                    }
                }
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
            constant: UnsafePointer<Float>, spatial: Int?, floor: Float = -.infinity,
            into out: UnsafeMutablePointer<Float>
        ) {
            guard let spatial, columns % 16 == 0 else {
                return ByteConversions.dequantise(
                    product, rows: rows, columns: columns, outputs: outputs, factor: factor, constant: constant,
                    spatial: spatial, floor: floor, into: out)
            }
            var scaleLanes = [Float](repeating: 0, count: columns)
            var offsetLanes = [Float](repeating: 0, count: columns)
            for o in 0..<outputs { (scaleLanes[o], offsetLanes[o]) = (factor[o], constant[o]) }
            let (low, high) = Tile16.indices()
            let lowest = _mm512_set1_ps(floor)
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
                            let v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(UnsafeRawPointer(row))), f, k)
                            return _mm512_max_ps(v, lowest)
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

        /// Four consecutive bytes, repeated in every 32-bit lane.
        @inline(__always)
        private static func broadcast(_ p: UnsafePointer<UInt8>) -> __m512i {
            _mm512_set1_epi32(Int32(bitPattern: UnsafeRawPointer(p).loadUnaligned(as: UInt32.self)))
        }
    }
#endif
