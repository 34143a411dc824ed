import Foundation

/// A window on its way to a worker, with the classifier it was cut for.
struct WorkItem: Sendable {
    var window: Window
    var classifier: any WindowClassifier
}

/// A worker's answer, on its way back to the I/O thread.
struct WorkResult: Sendable {
    var window: Window
    var classNames: [String]
    /// Normalised probabilities, or why there are none.
    var probabilities: Result<[Float], ClassifierFailure>
    var inferenceSeconds: Double
}

struct ClassifierFailure: Error, Sendable { var message: String }

/// Bounded hand-off between the I/O thread and the workers. Bounded by construction: the assembler
/// keeps at most one window per subject in flight.
final class WorkQueue: @unchecked Sendable {
    // @unchecked: `items` and `closed` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var items: [WorkItem] = []
    private var head = 0
    private var closed = false

    func put(_ item: WorkItem) {
        condition.lock(); defer { condition.unlock() }
        items.append(item)
        condition.signal()
    }

    /// Blocks until an item is available; nil once closed and empty.
    func take() -> WorkItem? {
        condition.lock(); defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count { items.removeFirst(head); head = 0 }
        return item
    }

    func close() {
        condition.lock(); defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }
}

/// The inference threads. Each takes windows from the queue, calls the classifier, appends the result
/// to `results` and wakes the I/O thread with a one-byte message on its own PUSH socket (sockets are
/// never shared, so each worker owns one).
final class InferenceWorkers: Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let count: Int

    init(count: Int, queue: WorkQueue, results: Locked<[WorkResult]>, context: ZMQContext, wakeAddress: String, logger: StreamLogger) {
        self.count = max(1, count)
        for index in 0..<self.count {
            let thread = Thread { [finished] in
                defer { finished.signal() }
                Self.run(queue: queue, results: results, context: context, wakeAddress: wakeAddress, logger: logger)
            }
            thread.name = "cmc-infer-\(index)"
            thread.start()
        }
    }

    /// Waits for every worker to exit (call after closing the queue).
    func join() { for _ in 0..<count { finished.wait() } }

    private static func run(queue: WorkQueue, results: Locked<[WorkResult]>, context: ZMQContext, wakeAddress: String, logger: StreamLogger) {
        let wake: ZMQSocket
        do {
            wake = try ZMQSocket(context: context, type: .push)
            try wake.connect(wakeAddress)
        } catch {
            logger.log(.error, "inference worker cannot reach the I/O thread: \(error)")
            return
        }
        defer { wake.close() }
        while let item = queue.take() {
            let names = item.classifier.spec.classNames
            let started = MonotonicClock.now()
            let outcome: Result<[Float], ClassifierFailure>
            do {
                let answer = try item.classifier.classify(item.window)
                if let p = answer.validated(classCount: names.count) { outcome = .success(p) }
                else { outcome = .failure(ClassifierFailure(message: "invalid probabilities (need \(names.count) finite, non-negative values with a positive sum)")) }
            } catch {
                outcome = .failure(ClassifierFailure(message: "\(error)"))
            }
            let seconds = Double(MonotonicClock.now() - started) * 1e-9
            results.withLock { $0.append(WorkResult(window: item.window, classNames: names, probabilities: outcome, inferenceSeconds: seconds)) }
            // A full wake queue means the I/O thread has wake-ups pending already: dropping this one is fine.
            do { _ = try wake.send([[1]], dontWait: true) } catch { if error.isTerminated { return } }
        }
    }
}
