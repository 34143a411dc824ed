/// The encoders' arithmetic at inference. Training is always float32.
public enum InferencePrecision: String, Sendable, CaseIterable, Codable {
    case float32
    /// Linear and convolution layers in int8 (`Module.quantizeForInference()`): weights per output channel,
    /// activations per call, 32-bit integer sums, on AVX512-VNNI.
    case int8

    /// Why this CPU should not run this precision; nil when it can. int8 has a plain-Swift path (the tests'
    /// reference), but without AVX512-VNNI it is many times slower than float32: a deployment asking for
    /// int8 on such a CPU is refused rather than served slowly.
    public var unsupportedReason: String? {
        switch self {
        case .float32: nil
        case .int8:
            CPUFeatures.avx512VNNI
                ? nil
                : "int8 inference needs a CPU with AVX512-VNNI (CPUID: AVX512 F, BW, VL and VNNI, ZMM state enabled);"
                    + " use float32"
        }
    }
}
