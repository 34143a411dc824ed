import CMCCore
import CMCDaemon
import CMCStream
import Foundation

/// Where a replay sends frames and, when evaluating, where it listens for labels.
public struct ReplayTargets: Sendable {
    public var imu: [Endpoint]
    public var skeleton: [Endpoint]
    public var labels: [Endpoint]
    /// CURVE client settings for every socket (the daemon's public key and this client's key pair),
    /// nil for plain text. The client key must be on the daemon's sensor and consumer allow-lists.
    public var curve: CurveClient?

    public static let localDaemon = ReplayTargets(
        imu: [.connect("tcp://127.0.0.1:5555")], skeleton: [.connect("tcp://127.0.0.1:5556")],
        labels: [.connect("tcp://127.0.0.1:5557")])

    public init(imu: [Endpoint], skeleton: [Endpoint], labels: [Endpoint], curve: CurveClient? = nil) {
        self.imu = imu
        self.skeleton = skeleton
        self.labels = labels
        self.curve = curve
    }

    /// Every socket of a pipeline running in this process (its bound endpoints), dialled.
    public init(connectingTo bound: BoundEndpoints, curve: CurveClient? = nil) {
        self.init(
            imu: bound.imu.map(Endpoint.connect), skeleton: bound.skeleton.map(Endpoint.connect),
            labels: bound.labels.map(Endpoint.connect), curve: curve)
    }
}

/// A whole replay: optionally subscribe to labels, stream the scripts, wait for the last labels,
/// then score them.
public enum ReplaySession {
    public struct Outcome: Sendable {
        public var log: SendLog
        public var labels: [LabelCollector.Received]
        public var actions: [LabelCollector.ReceivedAction] = []
        public var evaluation: StreamEvaluation?
        /// Label messages that did not decode.
        public var rejectedLabels: Int
    }

    /// - Parameters:
    ///   - evaluate: subscribe to `targets.labels` and score the events against the scripts.
    ///   - focusClasses: classes also scored on their own (`FocusScores`).
    ///   - drainSeconds: after the last frame, wait this long at most for labels still coming (stops
    ///     earlier once no label arrived for a whole hop-and-a-half).
    public static func run(
        scripts: [StreamScript], targets: ReplayTargets, send: SendOptions, evaluate: Bool, minCoverage: Double = 0.75,
        focusClasses: [String] = [], drainSeconds: Double = 3, context: ZMQContext,
        onLabel: (@Sendable (LabelCollector.Received) -> Void)? = nil,
        onAction: (@Sendable (LabelCollector.ReceivedAction) -> Void)? = nil, progress: ((Double) -> Void)? = nil,
        shouldStop: () -> Bool = { false }
    ) throws -> Outcome {
        var collector: LabelCollector?
        if evaluate {
            let c = LabelCollector(
                endpoints: targets.labels, context: context, curve: targets.curve, onEvent: onLabel, onAction: onAction)
            try c.start()
            collector = c
        }
        let log: SendLog
        do {
            log = try ReplaySender.run(
                scripts: scripts, imu: targets.imu, skeleton: targets.skeleton, curve: targets.curve, options: send,
                context: context, progress: progress, shouldStop: shouldStop)
        } catch {
            collector?.stop()
            throw error
        }
        guard let collector else { return Outcome(log: log, labels: [], evaluation: nil, rejectedLabels: 0) }
        let deadline = MonotonicClock.now() + Int64(drainSeconds * 1e9)
        while MonotonicClock.now() < deadline && !shouldStop() {
            let quiet = MonotonicClock.now() - (collector.lastReceivedAt ?? log.finishedAt)
            if quiet > 1_000_000_000 { break }
            ReplaySender.sleep(seconds: 0.05)
        }
        let labels = collector.stop()
        let actions = collector.actions
        let evaluation = StreamEvaluation.evaluate(
            scripts: scripts, log: log, labels: labels, actions: actions, minCoverage: minCoverage,
            focusClasses: focusClasses)
        return Outcome(
            log: log, labels: labels, actions: actions, evaluation: evaluation, rejectedLabels: collector.rejected)
    }
}
