import ArgumentParser
import CMCTensor

/// `--precision` of the tools that run the encoders (`cmc-train evaluate`, `cmc-replay --offline`,
/// `cmc-bench stream`): their arithmetic, as `cmcd`'s `inference_precision`.
public struct PrecisionArguments: ParsableArguments {
    @Option(help: "Inference arithmetic: float32, or int8 (linear and convolution layers; a CPU with AVX512-VNNI).")
    public var precision: InferencePrecision = .float32

    public init() {}

    public func validate() throws {
        if let reason = precision.unsupportedReason { throw ValidationError("--precision \(precision): \(reason)") }
    }
}

extension InferencePrecision: ExpressibleByArgument {}
