import CMCCore
import CMCData
import CMCDaemon
import CMCHarness
import CMCModel
import CMCStream

/// Labelled examples of what `cmcd` classifies on a live stream, cut by `cmcd`'s own code.
///
/// Training clips of the chosen subjects are laid out as continuous sessions (`SessionBuilder`: seeded
/// orders, irregular idle gaps, resting or noisy sensors between clips) and run through
/// `StreamSimulation` — the daemon's `WindowAssembler`, segmenter and windowing. Every window the
/// daemon would hand its classifier is kept with a label by one rule (docs/training.md, "Stream
/// heads") on the data it holds: the clip covering at least half of it, `idle` when clips cover less
/// than a fifth of it, unused in between.
public struct StreamWindowSet: Sendable {
    public struct Example: Sendable {
        /// Raw arrays in training units, as `Recognizer` takes them.
        public var inertial: DataArray?
        public var skeleton: DataArray?
        /// Class index; `classNames.count - 1` … are the background classes appended to the dataset's.
        public var label: Int
        public var isAction: Bool
        /// A whole dataset clip rather than a window cut from a session.
        public var isClip = false
    }

    public var examples: [Example] = []
    /// The dataset's classes plus `idle`.
    public var classNames: [String]
    public var idleIndex: Int { classNames.count - 1 }

    /// How training sessions vary: each variant is one pass over every subject's clips.
    public struct Variant: Sendable {
        public var session: SessionOptions
        /// The segmenter's motion threshold × this (below 1: more, shorter and false segments, which
        /// teach the idle class what the segmenter's near-misses look like).
        public var thresholdScale: Double = 1
        public init(session: SessionOptions, thresholdScale: Double = 1) {
            self.session = session
            self.thresholdScale = thresholdScale
        }

        /// The default mix: four seeded sessions per subject with 0.5–3 s gaps, resting and noisy
        /// sensors, at the daemon's threshold and at 0.6 of it.
        public static func standard(seed: UInt64) -> [Variant] {
            (0..<4).map { k in
                var s = SessionOptions()
                s.seed = seed &+ UInt64(k) &* 1_000_003
                s.gapRange = 0.5...3.0
                s.idle = k % 2 == 0 ? .hold : .noise
                return Variant(session: s, thresholdScale: k < 2 ? 1 : 0.6)
            }
        }
    }

    public init(classNames: [String]) { self.classNames = classNames + [LabelEvent.idleLabel] }

    /// Adds the windows `cmcd` (with `config`) would classify on sessions of `samples`.
    /// - Parameter classifier: supplies the model contract (window length, channels, units).
    public mutating func collect(
        samples: [Sample], info: DatasetInfo, classifier: BundleClassifier,
        config: PipelineConfig = .defaults, variants: [Variant]
    ) {
        let probe = ContractOnly(spec: classifier.spec)
        let idle = idleIndex
        var found: [Example] = []
        defer { examples += found }
        for variant in variants {
            var simulation = StreamSimulation(config: config)
            simulation.config.segmentation.gyroThreshold *= variant.thresholdScale
            simulation.config.segmentation.skeletonThreshold *= variant.thresholdScale
            let scripts = SessionBuilder.scripts(samples: samples, info: info, options: variant.session)
            let streamOf = Dictionary(
                scripts.enumerated().map { ($0.element.subject, $0.offset) }, uniquingKeysWith: { a, _ in a })
            _ = simulation.run(scripts: scripts, classifier: probe) { window, _ in
                guard let stream = streamOf[window.subject], let arrays = try? classifier.arrays(for: window) else {
                    return
                }
                var isAction = false
                if case .action = window.purpose { isAction = true }
                let script = scripts[stream]
                let offset = window.sensorOffset &+ StreamSimulation.origin
                let start = Double(window.start &- offset) * 1e-9
                let end = Double(window.end &- offset) * 1e-9
                guard let label = Self.label(start: start, end: end, clips: script.clips, idle: idle) else { return }
                found.append(
                    Example(inertial: arrays.inertial, skeleton: arrays.skeleton, label: label, isAction: isAction))
            }
        }
    }

    /// The label of the data a window holds (timeline seconds): the clip covering at least half of it;
    /// idle when clips cover less than a fifth of it; nil (not used) in between — a window mostly of
    /// rest but partly of an action teaches neither.
    static func label(start: Double, end: Double, clips: [ScriptedClip], idle: Int) -> Int? {
        let length = max(end - start, 1e-9)
        var best: (overlap: Double, label: Int)?
        var covered = 0.0
        for clip in clips where clip.end > start && clip.start < end {
            let overlap = min(end, clip.end) - max(start, clip.start)
            covered += overlap
            if overlap > (best?.overlap ?? 0) { best = (overlap, clip.label) }
        }
        if let best, best.overlap >= 0.5 * length { return best.label }
        return covered < 0.2 * length ? idle : nil
    }

    /// Adds whole clips (as the clip-trained classifier saw them), so whole actions stay recognised.
    public mutating func addClips(_ samples: [Sample]) {
        for s in samples {
            examples.append(
                Example(inertial: s.inertial, skeleton: s.skeleton, label: s.label, isAction: true, isClip: true))
        }
    }

    /// Examples per class, for the summary.
    public var counts: [Int] {
        var c = [Int](repeating: 0, count: classNames.count)
        for e in examples where c.indices.contains(e.label) { c[e.label] += 1 }
        return c
    }
}

/// Answers every window with uniform probabilities: the simulation only needs to cut windows here,
/// not to decide them.
struct ContractOnly: WindowClassifier {
    let spec: ClassifierSpec
    func classify(_ window: Window) throws -> Classification {
        Classification(probabilities: Array(repeating: 1 / Float(spec.classNames.count), count: spec.classNames.count))
    }
}
