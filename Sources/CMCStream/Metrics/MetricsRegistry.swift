import CMCCore
import Foundation

/// A monotonically increasing count.
public final class Counter: Sendable {
    private let value = Locked<Double>(0)
    public func increment(by amount: Double = 1) { value.withLock { $0 += amount } }
    /// For totals read from elsewhere (the kernel's CPU time): never goes backwards.
    public func advance(to total: Double) { value.withLock { $0 = max($0, total) } }
    public var current: Double { value.current }
}

/// A value that goes up and down.
public final class Gauge: Sendable {
    private let value = Locked<Double>(0)
    public func set(_ v: Double) { value.withLock { $0 = v } }
    public func add(_ v: Double) { value.withLock { $0 += v } }
    public var current: Double { value.current }
}

/// Cumulative-bucket histogram (Prometheus semantics: bucket `le` counts observations ≤ le).
public final class Histogram: Sendable {
    public struct Snapshot: Sendable {
        public var upperBounds: [Double]
        /// Non-cumulative counts per bucket; the last entry is the +Inf overflow.
        public var counts: [UInt64]
        public var sum: Double
        public var count: UInt64

        /// Upper bound of the bucket holding quantile `q` (a conservative estimate; +Inf if in overflow).
        public func quantileUpperBound(_ q: Double) -> Double {
            guard count > 0 else { return 0 }
            let rank = UInt64((q * Double(count)).rounded(.up))
            var seen: UInt64 = 0
            for (i, c) in counts.enumerated() {
                seen += c
                if seen >= max(1, rank) { return i < upperBounds.count ? upperBounds[i] : .infinity }
            }
            return .infinity
        }
    }

    private let state: Locked<Snapshot>

    init(buckets: [Double]) {
        let bounds = buckets.sorted()
        state = Locked(
            Snapshot(upperBounds: bounds, counts: Array(repeating: 0, count: bounds.count + 1), sum: 0, count: 0))
    }

    public func observe(_ v: Double) {
        state.withLock { s in
            let i = s.upperBounds.firstIndex { v <= $0 } ?? s.upperBounds.count
            s.counts[i] += 1
            s.sum += v
            s.count += 1
        }
    }

    public var snapshot: Snapshot { state.current }
}

/// Registry of named metrics rendered in the Prometheus text exposition format (version 0.0.4).
///
/// Metrics are created once (at pipeline start) and updated through their handles; asking again for the
/// same name and labels returns the same handle. Each handle has its own lock, so the hot path never
/// contends on the registry.
public final class MetricsRegistry: Sendable {
    private enum Series: Sendable {
        case counter(Counter), gauge(Gauge), histogram(Histogram)
    }

    private struct Family: Sendable {
        var help: String
        var type: String
        var series: [String: Series] = [:]
    }

    private let families = Locked([String: Family]())
    private let collectors = Locked([@Sendable () -> Void]())

    public init() {}

    /// Runs `update` before every render, for values read at scrape time (process memory, CPU time).
    public func collect(_ update: @escaping @Sendable () -> Void) { collectors.withLock { $0.append(update) } }

    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> Counter {
        guard case .counter(let c) = series(name, help, "counter", labels, { .counter(Counter()) }) else {
            fatalError("\(name) is not a counter")
        }
        return c
    }

    /// One counter per case of `Key` (every stream, every reason), labelled `label="<value(case)>"` after `labels`.
    public func counters<Key: CaseIterable & Hashable>(
        _ name: String, help: String, labels: [(String, String)] = [], by label: String, value: (Key) -> String
    ) -> [Key: Counter] {
        Dictionary(
            uniqueKeysWithValues: Key.allCases.map {
                ($0, counter(name, help: help, labels: labels + [(label, value($0))]))
            })
    }

    public func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> Gauge {
        guard case .gauge(let g) = series(name, help, "gauge", labels, { .gauge(Gauge()) }) else {
            fatalError("\(name) is not a gauge")
        }
        return g
    }

    public func histogram(_ name: String, help: String, labels: [(String, String)] = [], buckets: [Double]) -> Histogram
    {
        guard
            case .histogram(let h) = series(
                name, help, "histogram", labels, { .histogram(Histogram(buckets: buckets)) })
        else {
            fatalError("\(name) is not a histogram")
        }
        return h
    }

    private func series(
        _ name: String, _ help: String, _ type: String, _ labels: [(String, String)], _ make: () -> Series
    ) -> Series {
        let key = labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
        return families.withLock { table in
            var family = table[name] ?? Family(help: help, type: type)
            precondition(family.type == type, "metric \(name) registered as \(family.type), asked as \(type)")
            if let existing = family.series[key] { return existing }
            let created = make()
            family.series[key] = created
            table[name] = family
            return created
        }
    }

    /// The whole registry in Prometheus text format, families and series in a stable order.
    public func render() -> String {
        for update in collectors.current { update() }
        let snapshot = families.current
        var out = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.type)\n"
            for key in family.series.keys.sorted() {
                switch family.series[key]! {
                case .counter(let c): out += "\(name)\(Self.braces(key)) \(Self.number(c.current))\n"
                case .gauge(let g): out += "\(name)\(Self.braces(key)) \(Self.number(g.current))\n"
                case .histogram(let h):
                    let s = h.snapshot
                    var cumulative: UInt64 = 0
                    for (i, bound) in s.upperBounds.enumerated() {
                        cumulative += s.counts[i]
                        out +=
                            "\(name)_bucket\(Self.braces(key, extra: "le=\"\(Self.number(bound))\"")) \(cumulative)\n"
                    }
                    out += "\(name)_bucket\(Self.braces(key, extra: "le=\"+Inf\"")) \(s.count)\n"
                    out += "\(name)_sum\(Self.braces(key)) \(Self.number(s.sum))\n"
                    out += "\(name)_count\(Self.braces(key)) \(s.count)\n"
                }
            }
        }
        return out
    }

    private static func braces(_ key: String, extra: String? = nil) -> String {
        let parts = [key, extra ?? ""].filter { !$0.isEmpty }
        return parts.isEmpty ? "" : "{\(parts.joined(separator: ","))}"
    }

    private static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
