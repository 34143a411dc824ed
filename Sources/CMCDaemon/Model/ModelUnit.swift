import CMCStream

/// A unit as a model bundle names it (`ChannelInfo.unit`, `DatasetInfo.skeletonUnit`: "g", "deg/s",
/// "m/s^2", "mm", …), tied to the wire's unit codes.
///
/// The pipeline hands classifiers canonical values (m/s², rad/s, µT, m); a model trained on UTD-MHAD
/// saw g and deg/s, one trained on SmartFallMM's skeleton saw mm. `fromCanonical` is the factor that
/// turns the first into the second, so each model is fed exactly the units it was trained on.
public struct ModelUnit: Sendable, Equatable, CustomStringConvertible {
    /// The wire code naming the same physical unit (g → `.standardGravity`).
    public let wire: SensorUnit

    public init(wire: SensorUnit) { self.wire = wire }

    /// Parses a unit name; nil for names it does not know (the daemon then trusts values as they come).
    public init?(_ name: String) {
        let key = name.lowercased().filter { !$0.isWhitespace }
        switch key {
        case "m/s^2", "m/s2", "m/s²", "ms^-2", "m·s^-2", "mps2": wire = .metresPerSecondSquared
        case "g", "g0", "g₀", "gravity": wire = .standardGravity
        case "rad/s", "rads^-1", "rps": wire = .radiansPerSecond
        case "deg/s", "°/s", "degree/s", "degrees/s", "dps": wire = .degreesPerSecond
        case "ut", "µt", "μt", "microtesla": wire = .microtesla
        case "m", "metre", "metres", "meter", "meters": wire = .metres
        case "mm", "millimetre", "millimetres", "millimeter", "millimeters": wire = .millimetres
        case "px", "pixel", "pixels": wire = .pixels
        default: return nil
        }
    }

    /// The canonical unit the pipeline delivers this quantity in.
    public var canonical: SensorUnit { wire.canonical.unit }
    /// Multiply a canonical value by this to express it in this unit (g: 1 / 9.80665), computed in
    /// Double so that exact factors stay exact (mm: 1000, not 1 / 0.001f).
    public var fromCanonical: Float {
        switch wire {
        case .standardGravity: Float(1 / 9.80665)
        case .degreesPerSecond: Float(180 / Double.pi)
        case .millimetres: 1000
        default: 1
        }
    }

    public var description: String { "\(wire)" }
}
