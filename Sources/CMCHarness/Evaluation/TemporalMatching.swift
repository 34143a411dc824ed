/// One-to-one matching of action events to clips on one stream, the temporal-action-detection way:
/// candidate pairs overlap at temporal IoU ≥ a threshold; the best pair is taken first and each
/// event and each clip is used at most once. Every stream score that matches events to clips
/// (`StreamScores`, `FocusScores`) matches through here, so they cannot disagree on what a match is.
enum TemporalMatching {
    struct Pair: Equatable {
        var iou: Double
        /// Indices into the stream's events and clips.
        var event: Int
        var clip: Int
    }

    /// Every event–clip pair with IoU ≥ `threshold`, best first; ties go to the earlier event, then the
    /// earlier clip (so a score never depends on the sort's stability).
    static func candidates(events: [StreamScores.PlacedAction], clips: [ScriptedClip], threshold: Double) -> [Pair] {
        var pairs: [Pair] = []
        for (e, a) in events.enumerated() {
            for (c, clip) in clips.enumerated() where clip.end > a.start && clip.start < a.end {
                let v = StreamScores.iou((a.start, a.end), (clip.start, clip.end))
                if v >= threshold { pairs.append(Pair(iou: v, event: e, clip: c)) }
            }
        }
        return pairs.sorted { ($1.iou, $0.event, $0.clip) < ($0.iou, $1.event, $1.clip) }
    }

    /// Greedy matching over `candidates` (best first) among the pairs `accept` allows.
    static func greedy(_ candidates: [Pair], accept: (Pair) -> Bool = { _ in true }) -> [Pair] {
        var events = Set<Int>()
        var clips = Set<Int>()
        var matched: [Pair] = []
        for p in candidates where !events.contains(p.event) && !clips.contains(p.clip) && accept(p) {
            events.insert(p.event)
            clips.insert(p.clip)
            matched.append(p)
        }
        return matched
    }
}
