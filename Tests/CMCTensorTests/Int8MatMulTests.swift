import CMCCore
@testable import CMCTensor
import XCTest

/// The int8 product: the VNNI kernel against plain integer arithmetic, and the quantised linear layer
/// against the float product within the bound its two roundings allow.
final class Int8MatMulTests: XCTestCase {
    func testPackedLayoutKeepsEveryValueAndColumnSum() {
        var rng = SeededRNG(seed: 1)
        let (k, n) = (7, 19)
        let values = (0..<(k * n)).map { _ in Int8(truncatingIfNeeded: Int(rng.next() % 255) - 127) }
        let b = VNNIPackedMatrix(rows: k, columns: n, values: values)
        XCTAssertEqual(b.groups, 2)
        XCTAssertEqual(b.paddedColumns, 32)
        for i in 0..<k { for j in 0..<n { XCTAssertEqual(b[i, j], values[i * n + j]) } }
        XCTAssertEqual(b.columnSums, (0..<n).map { j in (0..<k).reduce(Int32(0)) { $0 + Int32(values[$1 * n + j]) } })
        XCTAssertEqual(b[7, 3], 0, "padding rows are zero")

        // Panels of 32 columns and a last one of 16: every value still where the subscript finds it, and the
        // packed bytes a permutation of the values and the zero padding.
        let (k2, n2) = (9, 40)
        let more = (0..<(k2 * n2)).map { _ in Int8(truncatingIfNeeded: Int(rng.next() % 255) - 127) }
        let wide = VNNIPackedMatrix(rows: k2, columns: n2, values: more)
        XCTAssertEqual(wide.paddedColumns, 48)
        for i in 0..<k2 { for j in 0..<n2 { XCTAssertEqual(wide[i, j], more[i * n2 + j], "\(i),\(j)") } }
        XCTAssertEqual(wide.bytes.count, wide.groups * 4 * wide.paddedColumns)
        XCTAssertEqual(wide.bytes.filter { $0 != 0 }.sorted(), more.filter { $0 != 0 }.sorted())
    }

    /// Shapes with every kind of tail: rows not a multiple of the 12-row tile nor of its 4-row groups, panels
    /// of 32 columns ending on a single 16-column one, depth not a multiple of 4, extreme byte values; and the
    /// int8 encoder's largest product (44 × 128 × 2048).
    func testVNNIKernelIsExactAgainstIntegerArithmetic() throws {
        guard CPUFeatures.avx512VNNI else { throw XCTSkip("this CPU has no AVX512-VNNI (CPUID)") }
        var rng = SeededRNG(seed: 2)
        let shapes = [
            (1, 1, 1), (5, 13, 17), (50, 128, 128), (7, 640, 48), (3, 9, 33), (9, 4, 16), (12, 8, 96), (13, 36, 80),
            (25, 20, 112), (44, 128, 2048),
        ]
        for (m, k, n) in shapes {
            let values = (0..<(k * n)).map { _ in Int8(truncatingIfNeeded: Int(rng.next() % 255) - 127) }
            let b = VNNIPackedMatrix(rows: k, columns: n, values: values)
            let stride = 4 * b.groups + 3
            var a = (0..<(m * stride)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            a[0] = 255
            let fast = Int8MatMul.multiply(a, rows: m, stride: stride, by: b, vnni: true)
            let plain = Int8MatMul.multiply(a, rows: m, stride: stride, by: b, vnni: false)
            for i in 0..<m {
                for j in 0..<n {
                    XCTAssertEqual(
                        fast[i * b.paddedColumns + j], plain[i * b.paddedColumns + j], "\(m)×\(k)×\(n) at \(i),\(j)")
                }
            }
            // The reference is the definition.
            let (i, j) = (m - 1, n - 1)
            let direct = (0..<k).reduce(Int32(0)) { $0 + Int32(a[i * stride + $1]) * Int32(values[$1 * n + j]) }
            XCTAssertEqual(plain[i * b.paddedColumns + j], direct)
        }
    }

    func testQuantisedLinearStaysWithinItsRoundingBound() {
        var rng = SeededRNG(seed: 3)
        let (m, k, n) = (6, 37, 21)
        let w = Tensor(shape: [k, n], storage: (0..<(k * n)).map { _ in Float.random(in: -0.5...0.5, using: &rng) })
        let bias = Tensor(shape: [n], storage: (0..<n).map { _ in Float.random(in: -1...1, using: &rng) })
        let x = Tensor(shape: [m, k], storage: (0..<(m * k)).map { _ in Float.random(in: -3...3, using: &rng) })
        let layer = QuantizedLinear(weight: w, bias: bias)
        let exact = Kernels.matmul(x, w)
        let bound = layer.errorBound(x, exactWeight: w)
        var worst: Float = 0
        var norm: Float = 0
        for vnni in [false, CPUFeatures.avx512VNNI] {
            let y = layer(x, vnni: vnni)
            for i in 0..<(m * n) {
                let err = abs(y.storage[i] - exact.storage[i] - bias.storage[i % n])
                XCTAssertLessThanOrEqual(err, bound[i] * 1.0001 + 1e-5, "output \(i)")
                worst = max(worst, err)
                norm = max(norm, abs(exact.storage[i]))
            }
        }
        // And in practice far inside it: below 2 % of the largest output here.
        XCTAssertLessThan(worst, 0.02 * norm, "worst error \(worst) against outputs up to \(norm)")
    }

    /// A quantised `Linear` multiplies in int8 at inference and in float32 whenever a gradient can flow.
    func testQuantisedLinearLayerServesInferenceOnly() {
        var rng = SeededRNG(seed: 4)
        let layer = Linear(24, 10, rng: &rng)
        let x = Variable(
            Tensor(shape: [2, 3, 24], storage: (0..<144).map { _ in Float.random(in: -2...2, using: &rng) }))
        let exact = GradMode.withoutGrad { layer(x) }.value
        layer.quantizeForInference()
        let quantised = GradMode.withoutGrad { layer(x) }.value
        XCTAssertEqual(quantised.shape, [2, 3, 10])
        XCTAssertNotEqual(quantised, exact, "inference must take the int8 path")
        let peak = exact.storage.map(abs).max()!
        for (q, e) in zip(quantised.storage, exact.storage) { XCTAssertEqual(q, e, accuracy: 0.03 * peak) }
        let training = layer(x)
        XCTAssertEqual(training.value, exact, "with gradients on, the layer stays float32")
    }

    /// `rectified` is the layer then ReLU, in float32 and in int8 (where the ReLU is applied in the conversion).
    func testRectifiedLinearIsTheLayerThenReLU() {
        var rng = SeededRNG(seed: 5)
        let layer = Linear(24, 40, rng: &rng)
        let x = Variable(
            Tensor(shape: [3, 24], storage: (0..<72).map { _ in Float.random(in: -2...2, using: &rng) }))
        for int8 in [false, true] {
            if int8 { layer.quantizeForInference() }
            let (plain, fused) = GradMode.withoutGrad { (layer(x).value, layer.rectified(x).value) }
            XCTAssertEqual(fused.shape, [3, 40])
            XCTAssertEqual(fused.storage, plain.storage.map { max($0, 0) }, "int8 \(int8)")
            XCTAssertTrue(plain.storage.contains { $0 < 0 }, "the case must have negative outputs to rectify")
        }
    }

    /// CPUID and the kernel's own list agree on this machine (when /proc/cpuinfo is readable: it is not under
    /// the systemd units, which is why the daemon reads CPUID).
    func testCPUIDAgreesWithProcCPUInfo() throws {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { throw XCTSkip("/proc/cpuinfo is not readable here") }
        let flags = Set(line.split(separator: " "))
        let listed = ["avx512f", "avx512bw", "avx512vl", "avx512_vnni"].allSatisfy { flags.contains(Substring($0)) }
        XCTAssertEqual(CPUFeatures.avx512VNNI, listed)
    }

    /// The decision from CPUID words: every instruction bit, OSXSAVE, and an XSAVE area the kernel sized to
    /// hold the AVX-512 registers (this machine's figures: Hi16_ZMM at 1664, 1024 bytes; 2688 enabled).
    func testCPUIDWordsDecideAVX512VNNI() {
        let full = CPUFeatures.CPUID(
            leaf1ECX: 1 << 27, leaf7EBX: 1 << 16 | 1 << 30 | 1 << 31, leaf7ECX: 1 << 11, enabledStateSize: 2688,
            hi16ZMMSize: 1024, hi16ZMMOffset: 1664)
        XCTAssertTrue(CPUFeatures.supportsAVX512VNNI(full))
        var noVNNI = full
        noVNNI.leaf7ECX = 0
        XCTAssertFalse(CPUFeatures.supportsAVX512VNNI(noVNNI))
        var noBW = full
        noBW.leaf7EBX &= ~(1 << 30)
        XCTAssertFalse(CPUFeatures.supportsAVX512VNNI(noBW))
        var noOSXSAVE = full
        noOSXSAVE.leaf1ECX = 0
        XCTAssertFalse(CPUFeatures.supportsAVX512VNNI(noOSXSAVE))
        var avxStateOnly = full
        avxStateOnly.enabledStateSize = 832 // x87, SSE and AVX state only: the kernel did not enable AVX-512
        XCTAssertFalse(CPUFeatures.supportsAVX512VNNI(avxStateOnly))
        var noComponent = full
        noComponent.hi16ZMMSize = 0
        XCTAssertFalse(CPUFeatures.supportsAVX512VNNI(noComponent))
    }
}
