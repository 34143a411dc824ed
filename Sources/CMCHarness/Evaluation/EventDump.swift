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
    public static func write(to path: String, scripts: [StreamScript], log: SendLog, labels: [LabelCollector.Received],
                             actions: [LabelCollector.ReceivedAction]) throws {
        let streamOf = Dictionary(scripts.enumerated().map { ($0.element.subject, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var lines: [[String: Any]] = []
        for (i, script) in scripts.enumerated() {
            for clip in script.clips {
                lines.append(["kind": "clip", "stream": i, "subject": Int(script.subject), "start": clip.start, "end": clip.end,
                              "label": clip.className])
            }
        }
        func seconds(_ sensor: Int64) -> Double { Double(sensor &- log.origin) * 1e-9 }
        for r in labels {
            guard let stream = streamOf[r.event.subject], let centre = r.event.labelTimeSensorNanoseconds else { continue }
            let e = r.event
            var line: [String: Any] = ["kind": "label", "stream": stream, "label": e.label, "raw": e.raw.label, "confidence": e.confidence,
                                       "centre": seconds(centre)]
            if let a = e.action { line["action"] = Int(a) }
            lines.append(line)
        }
        for r in actions {
            guard let stream = streamOf[r.event.subject] else { continue }
            let e = r.event
            lines.append(["kind": "action", "stream": stream, "start": seconds(e.startSensorNanoseconds), "end": seconds(e.endSensorNanoseconds),
                          "label": e.label, "confidence": e.confidence, "action": Int(e.action),
                          "top": e.topK.first?.label ?? ""])
        }
        var text = Data()
        for line in lines {
            text.append(try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]))
            text.append(0x0A)
        }
        try text.write(to: URL(fileURLWithPath: path))
    }
}
