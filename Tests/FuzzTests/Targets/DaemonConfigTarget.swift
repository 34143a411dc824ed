import CMCDaemon
import Foundation

/// cmcd's configuration: `DaemonConfig.decode` (a `--config` file's bytes: JSON, unknown keys refused,
/// typed decode) and `overlaid(environment:)` (`CMC_<KEY>=value` lines, as a unit's `Environment=` sets
/// them), then `problems()` on what either accepted. Every refusal must be a `DaemonConfig.Invalid`
/// naming its source; an accepted configuration must survive its own `--print-config` JSON unchanged.
enum DaemonConfigTarget: FuzzTarget {
    static let name = "daemonconfig"

    static func run(_ bytes: [UInt8]) -> String? {
        if let problem = checkFile(bytes) { return problem }
        return checkEnvironment(String(decoding: bytes, as: UTF8.self))
    }

    static func checkFile(_ bytes: [UInt8]) -> String? {
        let config: DaemonConfig
        do { config = try DaemonConfig.decode(Data(bytes), source: "fuzz.json") } catch let error
            as DaemonConfig.Invalid
        {
            return error.source == "fuzz.json" ? nil : "a file's error names \(error.source), not the file"
        } catch {
            return "a file's error is not DaemonConfig.Invalid: \(type(of: error)): \(error)"
        }
        return consistent(config, from: "file")
    }

    static func checkEnvironment(_ text: String) -> String? {
        var environment: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        let overlaid: (config: DaemonConfig, keys: [String])
        do { overlaid = try DaemonConfig().overlaid(environment: environment) } catch let error as DaemonConfig.Invalid
        {
            return error.source == "environment" ? nil : "an environment error names \(error.source)"
        } catch {
            return "an environment error is not DaemonConfig.Invalid: \(type(of: error)): \(error)"
        }
        for key in overlaid.keys where environment[DaemonConfig.environmentName(of: key)] == nil {
            return "the environment set \(key), which no variable names"
        }
        return consistent(overlaid.config, from: "environment")
    }

    /// What cmcd does with an accepted configuration: validate it and print it; the print must read back.
    static func consistent(_ config: DaemonConfig, from origin: String) -> String? {
        _ = config.problems()
        do {
            let again = try DaemonConfig.decode(Data(config.json().utf8), source: "print-config")
            return again == config ? nil : "a configuration from the \(origin) changed in its --print-config round trip"
        } catch {
            return "--print-config of a configuration from the \(origin) does not read back: \(error)"
        }
    }

    /// The defaults, the documented example and every key set once; the committed corpus adds more.
    static func seeds() -> [[UInt8]] {
        let documented = #"""
            {"model": "/usr/local/share/cmc/models/utd-mhad-cmkm.safetensors",
             "imu": ["connect:tcp://127.0.0.1:5561"], "skeleton": ["connect:tcp://127.0.0.1:5561"],
             "labels": ["connect:tcp://127.0.0.1:5560"], "subjects": "1-50", "metrics_port": 9558}
            """#
        let everyKey = #"""
            {"hop_seconds": 0.25, "workers": 2, "max_batch": 32, "smoothing_windows": 3, "unknown_threshold": 0.2,
             "top_k": 5, "metrics_address": "0.0.0.0", "clock": "shared", "max_subjects": 64, "log_format": "json",
             "log_level": "debug", "drain_seconds": 2, "curve_secret_key": "/etc/cmc/server.key",
             "curve_sensors": "/etc/cmc/sensors.allow", "curve_consumers": "/etc/cmc/consumers.allow",
             "curve_server_key": "/etc/cmc/proxy.pub", "segmentation": {"enabled": false}, "ready_file": "/run/cmc"}
            """#
        let environment = "CMC_WORKERS=2\nCMC_IMU=bind:tcp://*:5555, connect:tcp://10.0.0.2:5555\nCMC_CLOCK=shared\n"
        return [DaemonConfig().json(), documented, everyKey, environment].map { Array($0.utf8) }
    }
}
