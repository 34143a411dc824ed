import ArgumentParser
import Foundation

/// The `cmcd` a benchmark starts: `--cmcd PATH`, else the one installed or built next to `cmc-bench`.
enum DaemonExecutable {
    static func resolve(_ option: String?) throws -> URL {
        let executable =
            option.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("cmcd")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw ValidationError("cmcd not found at \(executable.path): --cmcd PATH")
        }
        return executable
    }
}
