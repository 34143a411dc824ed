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
            if again == config { return nil }
            return "configuration changed in a JSON round trip"
        } catch {
            return "its own jsonString() does not decode: \(error)"
        }
    }

    /// Defaults for each dataset plus a few overrides; the committed corpus holds configs/*.json.
    static func seeds() -> [[UInt8]] {
        DatasetKind.allCases.map { Array(ExperimentConfig(name: "seed", dataset: $0).jsonString().utf8) } + [
            Array(#"{"dataset": "utd-mhad"}"#.utf8),
            Array(
                #"{"dataset": "utd-mhad", "stages": ["cmc"], "seed": 1, "windowSeconds": 2.5, "cmc": {"epochs": 1}}"#
                    .utf8),
        ]
    }
}
