import CMCDaemon
import CMCStream
import Foundation

/// `cmc-replay --events FILE`: the ground truth and every event received, placed on the replayed
/// timelines, as JSON lines — for plots and for finding out why a stream scored as it did.
///
/// Lines: `{"kind":"clip","stream":…,"subject":…,"start":s,"end":s,"label":…}` per clip, then
/// `{"kind":"label","stream":…,"centre":s,"label":…,"raw":…,"action":…}` per window label and
/// `{"kind":"action","stream":…,"start":s,"end":s,"label":…,"confidence":…}` per action event.
/// Times are seconds on the stream's timeline (sender clock − replay origin).
public enum EventDump {
    public static func write(
        to path: String, scripts: [StreamScript], log: SendLog, labels: [LabelCollector.Received],
        actions: [LabelCollector.ReceivedAction]
    ) throws {
        try write(
            to: path, scripts: scripts, origin: log.origin, labels: labels.map(\.event), actions: actions.map(\.event))
    }

    /// The events of an offline simulation (`StreamSimulation`), placed the same way.
    public static func write(to path: String, scripts: [StreamScript], simulated output: StreamSimulation.Output) throws
    {
        var labels: [LabelEvent] = []
        var actions: [ActionEvent] = []
        for (_, event, _) in output.events {
            switch event {
            case .label(let e): labels.append(e)
            case .action(let e): actions.append(e)
            }
        }
        try write(to: path, scripts: scripts, origin: output.log.origin, labels: labels, actions: actions)
    }

    /// - Parameter origin: the sender clock at timeline 0.
    static func write(
        to path: String, scripts: [StreamScript], origin: Int64, labels: [LabelEvent], actions: [ActionEvent]
    ) throws {
        let streamOf = Dictionary(
            scripts.enumerated().map { ($0.element.subject, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var lines: [[String: Any]] = []
        for (i, script) in scripts.enumerated() {
            for clip in script.clips {
                lines.append([
                    "kind": "clip", "stream": i, "subject": Int(script.subject), "start": clip.start, "end": clip.end,
                    "label": clip.className,
                ])
            }
        }
        func seconds(_ sensor: Int64) -> Double { Double(sensor &- origin) * 1e-9 }
        for e in labels {
            guard let stream = streamOf[e.subject], let centre = e.labelTimeSensorNanoseconds else { continue }
            var line: [String: Any] = [
                "kind": "label", "stream": stream, "label": e.label, "raw": e.raw.label, "confidence": e.confidence,
                "centre": seconds(centre),
            ]
            if let a = e.action { line["action"] = Int(a) }
            lines.append(line)
        }
        for e in actions {
            guard let stream = streamOf[e.subject] else { continue }
            lines.append([
                "kind": "action", "stream": stream, "start": seconds(e.startSensorNanoseconds),
                "end": seconds(e.endSensorNanoseconds),
                "label": e.label, "confidence": e.confidence, "action": Int(e.action),
                "top": e.topK.first?.label ?? "",
            ])
        }
        var text = Data()
        for line in lines {
            text.append(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]))
            text.append(0x0A)
        }
        try text.write(to: URL(fileURLWithPath: path))
    }
}
