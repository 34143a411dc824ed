import CMCCore
import ArgumentParser
import CMCData
import CMCDaemon
import CMCHarness
import CMCStream

// Typed command-line values: parsed once, listed in `--help`, refused with the accepted forms named.
// (Declared here so the libraries that own these types need not depend on the argument parser.)

extension Endpoint: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
}

extension DatasetKind: ExpressibleByArgument {}
extension SplitName: ExpressibleByArgument {}
extension SessionOptions.Idle: ExpressibleByArgument {}
extension SessionOptions.Order: ExpressibleByArgument {}
extension SkeletonLayout: ExpressibleByArgument {}
extension DaemonLog.Format: ExpressibleByArgument, CaseIterable {
    public static var allCases: [DaemonLog.Format] { [.text, .json] }
}
