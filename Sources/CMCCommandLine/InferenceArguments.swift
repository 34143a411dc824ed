import ArgumentParser
import CMCModel
import CMCTensor

/// How the tools that run the encoders (`cmc-train evaluate`, `cmc-replay --offline`, `cmc-bench stream`)
/// infer: arithmetic and heads, as `cmcd`'s `inference_precision` and `heads`.
public struct InferenceArguments: ParsableArguments {
    @Option(help: "Inference arithmetic: float32, or int8 (linear and convolution layers; a CPU with AVX512-VNNI).")
    public var precision: InferencePrecision = .float32
    @Option(
        help: """
            Classifiers deciding a window with both modalities: fused (the multimodal head), or fused+skeleton \\
            (its geometric mean with the skeleton-only head).
            """)
    public var heads: Recognizer.HeadCombination = Recognizer.HeadCombination.default

    public init() {}

    public func validate() throws {
        if let reason = precision.unsupportedReason { throw ValidationError("--precision \(precision): \(reason)") }
    }
}

extension InferencePrecision: ExpressibleByArgument {}
extension Recognizer.HeadCombination: ExpressibleByArgument {}
