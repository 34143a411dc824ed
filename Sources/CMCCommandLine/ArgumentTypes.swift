import CMCCore
import ArgumentParser
import Logging
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
extension SmartFallMM.SharedInertialPolicy: ExpressibleByArgument {}
extension SubjectList: ExpressibleByArgument {
    /// `7`, `1,3,5` or ranges like `1-4`; anything else is refused with the option's help.
    public init?(argument: String) { try? self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
}
extension LineLogHandler.Format: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {
    public init?(argument: String) { self.init(configured: argument) }
    public static var allValueStrings: [String] { Logger.Level.configurable.map(\.rawValue) }
}
