import CMCCore
import Foundation

/// A progress line with rate and ETA for long jobs, redrawn in place on a terminal and printed at
/// most every few seconds otherwise (so logs stay readable).
public final class ProgressReporter {
    public let title: String
    public let total: Int
    private let start = MonotonicClock.seconds
    private var lastPrint = -Double.infinity
    private let interactive = isatty(STDERR_FILENO) != 0
    public private(set) var done = 0

    public init(_ title: String, total: Int) {
        self.title = title
        self.total = max(total, 1)
    }

    /// Advances by `n` units and redraws when due; `status` is appended (e.g. the current loss).
    public func advance(_ n: Int = 1, status: @autoclosure () -> String = "") {
        done += n
        let now = MonotonicClock.seconds
        guard done >= total || now - lastPrint >= (interactive ? 0.2 : 10) else { return }
        lastPrint = now
        let elapsed = now - start
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let pct = Double(done) / Double(total) * 100
        let line = String(
            format: "%@ %5.1f%% (%d/%d) %@ elapsed, ETA %@ %@", title, pct, done, total,
            ProgressReporter.format(elapsed), ProgressReporter.format(eta), status())
        FileHandle.standardError.write(
            Data(((interactive ? "\r\u{1B}[K" : "") + line + (interactive && done < total ? "" : "\n")).utf8))
    }

    public var elapsed: Double { MonotonicClock.seconds - start }

    public static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60)
            : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }
}
