import CMCData
import CMCTraining
import Foundation

/// `ExperimentConfig.decode`: JSON parse, merge over the defaults (unknown fields rejected), then
/// the Codable decode. A decoded configuration must survive its own JSON round trip unchanged.
enum ConfigTarget: FuzzTarget {
    static let name = "config"

    static func run(_ bytes: [UInt8]) -> String? {
        guard let config = try? ExperimentConfig.decode(Data(bytes), source: "fuzz") else { return nil }
        do {
            let again = try ExperimentConfig.decode(Data(config.jsonString().utf8), source: "round-trip")
            if again == config || onlyKnownOpenMismatch(config, again) { return nil }
            return "configuration changed in a JSON round trip"
        } catch {
            return "its own jsonString() does not decode: \(error)"
        }
    }

    /// Open finding (docs/fuzzing.md, "Open findings"; reproducer in Corpus/open/config): an explicit
    /// `"plateauPatience": null` — the one optional whose default is not nil — decodes to nil, but
    /// `jsonString()` omits nil fields, so decoding the written config restores the default 5. Tolerated
    /// so the fuzzers look past it; CMC_FUZZ_CONFIG_UNGUARDED=1 reports it. Delete once fixed.
    static func onlyKnownOpenMismatch(_ decoded: ExperimentConfig, _ again: ExperimentConfig) -> Bool {
        if ProcessInfo.processInfo.environment["CMC_FUZZ_CONFIG_UNGUARDED"] == "1" { return false }
        var patched = decoded
        for kp in [\ExperimentConfig.classifier, \.linearEvaluation, \.supervised, \.fineTune]
            as [WritableKeyPath<ExperimentConfig, ClassifierSchedule>] where patched[keyPath: kp].plateauPatience == nil {
            patched[keyPath: kp].plateauPatience = again[keyPath: kp].plateauPatience
        }
        return patched == again
    }

    /// Defaults for each dataset plus a few overrides; the committed corpus holds configs/*.json.
    static func seeds() -> [[UInt8]] {
        DatasetKind.allCases.map { Array(ExperimentConfig(name: "seed", dataset: $0).jsonString().utf8) } + [
            Array(#"{"dataset": "utd-mhad"}"#.utf8),
            Array(#"{"dataset": "utd-mhad", "stages": ["cmc"], "seed": 1, "windowSeconds": 2.5, "cmc": {"epochs": 1}}"#.utf8),
        ]
    }
}
