import CMCData
import Foundation

/// Detection scores for the classes that matter in a deployment ("focus" classes; SmartFallMM: its
/// falls, `DatasetInfo.focusClasses`), beside the scores over every class (docs/deployment.md,
/// "Stream scores"). Only focus clips and action events labelled with a focus class take part:
///
/// - strict (`precision`, `recall`, `f1`): a focus event matches a focus clip at temporal IoU ≥ the
///   threshold with the same label — a fall reported as the wrong kind of fall is a miss and a false alarm;
/// - `lenient`: the same with any focus label on both sides — "a fall was detected" is what counts.
///
/// Recall is over the focus clips, precision over the focus events: a focus event on a clip of another
/// class or in an idle gap is a false alarm; a non-focus event (say `sit_stand` on a fall) leaves the
/// fall missed but is no false alarm. Matching is one-to-one, best IoU first (`TemporalMatching`).
public struct FocusScores: Codable, Sendable, Equatable {
    public struct Detection: Codable, Sendable, Equatable {
        /// Focus clips matched (each by one focus event).
        public var matched: Int
        public var precision: Double?
        public var recall: Double?
        public var f1: Double?

        init(matched: Int, events: Int, clips: Int) {
            self.matched = matched
            if events > 0 { precision = Double(matched) / Double(events) }
            if clips > 0 { recall = Double(matched) / Double(clips) }
            if let p = precision, let r = recall { f1 = p + r > 0 ? 2 * p * r / (p + r) : 0 }
        }
    }

    public var classes: [String]
    /// Clips of a focus class, and action events labelled with one.
    public var clips: Int
    public var events: Int
    /// Same label.
    public var matched: Int
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    /// Any focus label.
    public var lenient: Detection

    /// Scores the events of every stream against its clips (`actions[i].stream` indexes `scripts`).
    public init(
        classes: [String], scripts: [StreamScript], actions: [StreamScores.PlacedAction], iouThreshold: Double = 0.5
    ) {
        let focus = Set(classes)
        var clips = 0
        var events = 0
        var strict = 0
        var lenient = 0
        for (index, script) in scripts.enumerated() {
            let mine = actions.filter { $0.stream == index && focus.contains($0.label) }
            let focusClips = script.clips.filter { focus.contains($0.className) }
            clips += focusClips.count
            events += mine.count
            let pairs = TemporalMatching.candidates(events: mine, clips: focusClips, threshold: iouThreshold)
            strict += TemporalMatching.greedy(pairs) { mine[$0.event].label == focusClips[$0.clip].className }.count
            lenient += TemporalMatching.greedy(pairs).count
        }
        self.classes = classes
        self.clips = clips
        self.events = events
        let exact = Detection(matched: strict, events: events, clips: clips)
        matched = exact.matched
        precision = exact.precision
        recall = exact.recall
        f1 = exact.f1
        self.lenient = Detection(matched: lenient, events: events, clips: clips)
    }
}

extension FocusScores {
    public struct UnknownClass: Error, CustomStringConvertible {
        public let description: String
    }

    /// The focus classes of a run: `list` (comma-separated class names of `info`, or `none`), else the
    /// dataset's own (`DatasetInfo.focusClasses`; none for UTD-MHAD).
    public static func classes(_ list: String?, info: DatasetInfo) throws(UnknownClass) -> [String] {
        guard let list else { return info.focusClasses ?? [] }
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names == ["none"] { return [] }
        let known = Set(info.classNames)
        if let bad = names.first(where: { !known.contains($0) }) {
            throw UnknownClass(
                description: "focus class '\(bad)' is not a class of \(info.name) "
                    + "(\(info.classNames.joined(separator: ", ")))")
        }
        guard !names.isEmpty else {
            throw UnknownClass(description: "no focus class named (give class names, or none)")
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
