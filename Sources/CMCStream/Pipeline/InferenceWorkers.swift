import Logging
import CMCCore
import Foundation

/// A window on its way to a worker, with the classifier it was cut for.
struct WorkItem: Sendable {
    var window: Window
    var classifier: any WindowClassifier
    /// Which classifier that is (bumped on every reload): only windows of one generation share a batch.
    var generation: Int = 0
    /// CLOCK_MONOTONIC ns at which it was queued.
    var queuedAt: Int64 = 0
}

/// A worker's answer, on its way back to the I/O thread.
struct WorkResult: Sendable {
    var window: Window
    var classNames: [String]
    var modelID: String?
    /// Normalised probabilities, or why there are none.
    var probabilities: Result<[Float], ClassifierFailure>
    var inferenceSeconds: Double
    /// Seconds from queued to taken by a worker.
    var queueSeconds: Double = 0
    /// CLOCK_MONOTONIC ns at which its batch finished.
    var finishedAt: Int64 = 0
}

/// Why a window got no probabilities: the classifier threw, or answered something that is none.
public struct ClassifierFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension WindowClassifier {
    /// Classifies `windows` in one batch, as the pipeline's workers do, and checks every answer: one finite,
    /// non-negative probability per class of `spec.classNames`, normalised; otherwise the failure says why.
    /// (The offline `StreamSimulation` classifies with this too.)
    public func checkedProbabilities(batch windows: [Window]) -> [Result<[Float], ClassifierFailure>] {
        let names = spec.classNames
        let answers = classify(batch: windows)
        guard answers.count == windows.count else {
            let failure = ClassifierFailure(
                message: "classifier returned \(answers.count) answers for \(windows.count) windows")
            return Array(repeating: .failure(failure), count: windows.count)
        }
        return answers.map { answer in
            switch answer {
            case .success(let classification):
                if let p = classification.validated(classCount: names.count) { return .success(p) }
                return .failure(
                    ClassifierFailure(
                        message:
                            "invalid probabilities (need \(names.count) finite, non-negative values with a positive sum)"
                    ))
            case .failure(let error):
                return .failure(ClassifierFailure(message: "\(error)"))
            }
        }
    }
}

/// The inference threads. Each takes the windows queued so far (up to `maxBatch`), classifies them in
/// one batched call per classifier generation, appends the results to `results` and wakes the I/O
/// thread with a one-byte message on its own PUSH socket (sockets are never shared, so each worker owns
/// one). Under load the queue fills while a batch runs, so batches grow with the load and the per-window
/// cost falls; at low load every batch holds one window and nothing waits.
final class InferenceWorkers: Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let count: Int

    init(
        count: Int, maxBatch: Int = 1, queue: WorkQueue, results: Locked<[WorkResult]>, context: ZMQContext,
        wakeAddress: String,
        logger: Logger
    ) {
        self.count = max(1, count)
        for index in 0..<self.count {
            let thread = Thread { [finished] in
                defer { finished.signal() }
                Self.run(
                    queue: queue, maxBatch: maxBatch, results: results, context: context, wakeAddress: wakeAddress,
                    logger: logger)
            }
            thread.name = "cmc-infer-\(index)"
            thread.start()
        }
    }

    /// Waits for every worker to exit (call after closing the queue).
    func join() { for _ in 0..<count { finished.wait() } }

    private static func run(
        queue: WorkQueue, maxBatch: Int, results: Locked<[WorkResult]>, context: ZMQContext, wakeAddress: String,
        logger: Logger
    ) {
        let wake: ZMQSocket
        do {
            wake = try ZMQSocket(context: context, type: .push)
            try wake.connect(wakeAddress)
        } catch {
            logger.error("inference worker cannot reach the I/O thread: \(error)")
            return
        }
        defer { wake.close() }
        while let items = queue.take(max: maxBatch) {
            let taken = MonotonicClock.now()
            var done: [WorkResult] = []
            done.reserveCapacity(items.count)
            var start = 0
            while start < items.count {
                // A reload between two windows splits the batch: each part goes to its own classifier.
                var end = start + 1
                while end < items.count && items[end].generation == items[start].generation { end += 1 }
                done += classify(Array(items[start..<end]), taken: taken)
                start = end
            }
            results.withLock { $0.append(contentsOf: done) }
            // A full wake queue means the I/O thread has wake-ups pending already: dropping this one is fine.
            do { _ = try wake.send([[1]], dontWait: true) } catch { if error.isTerminated { return } }
        }
    }

    /// Classifies windows cut for one classifier. Every window reports the time of the batch it ran in:
    /// that is what it waited for.
    private static func classify(_ items: [WorkItem], taken: Int64) -> [WorkResult] {
        let classifier = items[0].classifier
        let names = classifier.spec.classNames
        let started = MonotonicClock.now()
        let outcomes = classifier.checkedProbabilities(batch: items.map(\.window))
        let finished = MonotonicClock.now()
        let seconds = Double(finished - started) * 1e-9
        return zip(items, outcomes).map { item, outcome in
            WorkResult(
                window: item.window, classNames: names, modelID: classifier.spec.modelID, probabilities: outcome,
                inferenceSeconds: seconds, queueSeconds: Double(taken - item.queuedAt) * 1e-9, finishedAt: finished)
        }
    }
}
