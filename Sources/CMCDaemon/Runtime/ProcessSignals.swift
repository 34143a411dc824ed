import CMCCore
import CMCStream
import Foundation

/// Synchronous signal handling: the signals are blocked in every thread and collected with
/// `sigtimedwait` by the thread that manages the process (its main thread), so reacting to SIGTERM or
/// SIGHUP is ordinary code — no work ever runs inside an asynchronous signal handler.
///
/// `block` must run before the process starts any thread: threads inherit the mask of their creator,
/// and a signal is delivered to any thread that does not block it.
public enum ProcessSignals {
    public static let shutdown: [Int32] = [SIGTERM, SIGINT]
    public static let managed: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Blocks `signals` in the calling thread (and so in every thread it creates afterwards).
    public static func block(_ signals: [Int32] = managed) {
        var set = makeSet(signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits up to `timeout` seconds for one of `signals` (which must be blocked); nil on timeout.
    public static func wait(_ signals: [Int32] = managed, timeout: Double) -> Int32? {
        var set = makeSet(signals)
        var ts = timespec(tv_sec: Int(timeout), tv_nsec: Int((timeout - timeout.rounded(.down)) * 1e9))
        while true {
            let n = sigtimedwait(&set, nil, &ts)
            if n > 0 { return n }
            if errno == EINTR { continue }
            return nil // EAGAIN: timed out
        }
    }

    /// For tools whose main thread is busy (a replay): a dedicated thread waits for SIGTERM/SIGINT and
    /// raises the returned flag, which the work loop polls. Call `block()` first.
    public static func stopFlag() -> Locked<Bool> {
        let flag = Locked(false)
        let thread = Thread {
            while wait(shutdown, timeout: 3600) == nil {}
            flag.withLock { $0 = true }
        }
        thread.name = "cmc-signals"
        thread.start()
        return flag
    }

    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }

    private static func makeSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        return set
    }
}
