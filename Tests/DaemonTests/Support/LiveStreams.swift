import CMCData
import CMCDaemon
import CMCHarness
import CMCStream
import Foundation

/// Streams synthetic UTD-MHAD-shaped subjects to a running daemon in real time and collects the labels
/// it publishes meanwhile (through the same replay code `cmc-replay` uses).
enum LiveStreams {
    /// - Parameter curve: CURVE client settings when the daemon runs with CURVE (the same key sends
    ///   frames and reads labels).
    static func run(
        subjects: [UInt32], seconds: Double, imu: String, skeleton: String, labels: String,
        curve: CurveClient? = nil, includeIdle: Bool = false
    ) throws -> [LabelEvent] {
        var scripts: [StreamScript] = []
        for s in subjects {
            scripts += SyntheticStreams.scripts(
                subjects: 1, seconds: seconds, info: UTDMHAD.info, phaseSpread: 0.2, firstSubject: s)
        }
        var send = SendOptions()
        send.warmupSeconds = 0.3
        let outcome = try ReplaySession.run(
            scripts: scripts,
            targets: ReplayTargets(
                imu: [.connect(imu)], skeleton: [.connect(skeleton)],
                labels: [.connect(labels)], curve: curve),
            send: send, evaluate: true, drainSeconds: 1.5, context: try ZMQContext())
        // The windows the model classified: a window centred before the segmenter has seen the motion
        // start (the first one) is "idle", decided without the model, and says nothing about it.
        return outcome.labels.map(\.event).filter { includeIdle || $0.label != LabelEvent.idleLabel }
    }
}
