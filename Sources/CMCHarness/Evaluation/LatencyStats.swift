/// Percentiles of a set of latencies, in milliseconds (nearest rank).
public struct LatencyStats: Codable, Sendable, Equatable {
    public var count: Int
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double
    public var mean: Double

    public init(_ values: [Double]) {
        let sorted = values.filter(\.isFinite).sorted()
        count = sorted.count
        func rank(_ q: Double) -> Double {
            sorted.isEmpty
                ? 0
                : sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
        }
        p50 = rank(0.5)
        p95 = rank(0.95)
        p99 = rank(0.99)
        max = sorted.last ?? 0
        mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
    }

    public var line: String {
        count == 0
            ? "n/a" : String(format: "p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms (n=%d)", p50, p95, p99, max, count)
    }
}
