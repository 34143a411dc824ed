/// The daemon's metrics, registered once so the hot path only touches handles.
public struct PipelineMetrics: Sendable {
    public let registry: MetricsRegistry
    private let received: [Modality: Counter]
    private let lost: [Modality: Counter]
    private let refusedSamples: [Modality: Counter]
    private let resyncs: [Modality: Counter]
    private let dropped: [Modality: [DropReason: Counter]]
    private let skipped: [SkipReason: Counter]
    private let evicted: [EvictionReason: Counter]
    public let inferenceSeconds: Histogram
    public let endToEndSeconds: Histogram
    /// The two hand-offs around inference: window queued → a worker takes it; worker done → published.
    public let queueWaitSeconds: Histogram
    public let publishWaitSeconds: Histogram
    public let subjectsActive: Gauge
    public let windowsInFlight: Gauge
    public let labelsPublished: Counter
    public let unknownLabels: Counter
    public let idleLabels: Counter
    public let actionsPublished: Counter
    public let unknownActions: Counter
    public let backgroundActions: Counter
    public let classifierReloads: Counter
    public let recoveredFrames: Counter

    /// Latency buckets in seconds: fine below 100 ms, where the target lies.
    public static let latencyBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5,
    ]

    public init(registry: MetricsRegistry) {
        self.registry = registry
        func perStream(_ name: String, _ help: String) -> [Modality: Counter] {
            registry.counters(name, help: help, by: "stream", value: \Modality.description)
        }
        received = perStream("cmc_frames_received_total", "Frames received per stream, before validation.")
        lost = perStream(
            "cmc_frames_lost_total",
            "Frames never received, from gaps in sequence numbers (upstream HWM drops, network).")
        refusedSamples = perStream(
            "cmc_samples_refused_total", "Samples of buffered frames refused as late or duplicate.")
        resyncs = perStream("cmc_clock_resyncs_total", "Sensor clock steps adopted after persisting.")
        dropped = Dictionary(
            uniqueKeysWithValues: Modality.allCases.map { m in
                (
                    m,
                    registry.counters(
                        "cmc_frames_dropped_total", help: "Well-formed frames not buffered, by reason.",
                        labels: [("stream", m.description)], by: "reason", value: \DropReason.rawValue)
                )
            })
        skipped = registry.counters(
            "cmc_windows_skipped_total", help: "Due windows not classified, by reason.", by: "reason",
            value: \SkipReason.rawValue)
        evicted = registry.counters(
            "cmc_subjects_evicted_total", help: "Subjects forgotten, by reason.", by: "reason",
            value: \EvictionReason.rawValue)
        inferenceSeconds = registry.histogram(
            "cmc_inference_seconds", help: "Classifier time per window.", buckets: Self.latencyBuckets)
        endToEndSeconds = registry.histogram(
            "cmc_end_to_end_seconds", help: "From window data complete to label published.",
            buckets: Self.latencyBuckets)
        queueWaitSeconds = registry.histogram(
            "cmc_queue_wait_seconds", help: "From window queued for inference to a worker taking it.",
            buckets: Self.latencyBuckets)
        publishWaitSeconds = registry.histogram(
            "cmc_publish_wait_seconds", help: "From a window's inference done to its event published.",
            buckets: Self.latencyBuckets)
        subjectsActive = registry.gauge("cmc_subjects_active", help: "Subjects with buffered data.")
        windowsInFlight = registry.gauge("cmc_windows_in_flight", help: "Windows queued or being classified.")
        labelsPublished = registry.counter("cmc_labels_published_total", help: "Label events published.")
        unknownLabels = registry.counter(
            "cmc_labels_unknown_total", help: "Label events whose label was \"unknown\" (below threshold).")
        idleLabels = registry.counter(
            "cmc_labels_idle_total",
            help: "Label events \"idle\": the window centre lay between actions, or the model said no action.")
        actionsPublished = registry.counter(
            "cmc_actions_published_total", help: "Action events published (whole actions found by the segmenter).")
        unknownActions = registry.counter(
            "cmc_actions_unknown_total", help: "Action events whose label was \"unknown\" (below threshold).")
        backgroundActions = registry.counter(
            "cmc_actions_background_total",
            help: "Segmented actions the model called background (e.g. idle): no action event.")
        recoveredFrames = registry.counter(
            "cmc_frames_recovered_total",
            help:
                "Frames counted in cmc_frames_lost_total that arrived after all (reordered); lost − recovered never arrived."
        )
        classifierReloads = registry.counter("cmc_classifier_reloads_total", help: "Classifier swaps at runtime.")
        // Touch the label-dependent families so they render (at 0) before the first event.
        for m in Modality.allCases {
            _ = windowsInferred(m == .inertial ? [.inertial] : [.skeleton])
            _ = malformed(m, "truncated")
        }
        _ = windowsInferred([.inertial, .skeleton])
    }

    public func received(_ m: Modality) -> Counter { received[m]! }
    public func lost(_ m: Modality) -> Counter { lost[m]! }
    public func refusedSamples(_ m: Modality) -> Counter { refusedSamples[m]! }
    public func resyncs(_ m: Modality) -> Counter { resyncs[m]! }
    public func dropped(_ m: Modality, _ r: DropReason) -> Counter { dropped[m]![r]! }
    public func skipped(_ r: SkipReason) -> Counter { skipped[r]! }
    public func subjectsEvicted(_ r: EvictionReason) -> Counter { evicted[r]! }

    /// Malformed frames by the kind of error (bounded set: `WireError.metricReason` or "model_mismatch").
    public func malformed(_ m: Modality, _ reason: String) -> Counter {
        registry.counter(
            "cmc_frames_malformed_total", help: "Frames rejected by validation, by kind of error.",
            labels: [("stream", m.description), ("reason", reason)])
    }

    /// ZMTP handshakes of a network socket by outcome (CURVE only: a plain-text socket has none to refuse).
    func handshakes(socket: String, _ outcome: HandshakeMonitor.Outcome) -> Counter {
        registry.counter(
            "cmc_handshakes_total", help: "Handshakes on the CURVE sockets, by socket and outcome.",
            labels: [("socket", socket), ("outcome", outcome.rawValue)])
    }

    /// ZAP decisions by domain (`frames`, `labels`) and outcome (`accepted`, `refused`).
    public func curveClients(domain: String, accepted: Bool) -> Counter {
        registry.counter(
            "cmc_curve_clients_total", help: "CURVE client authentications by the ZAP handler, by domain and outcome.",
            labels: [("domain", domain), ("outcome", accepted ? "accepted" : "refused")])
    }

    public func windowsInferred(_ modalities: [Modality]) -> Counter {
        registry.counter(
            "cmc_windows_inferred_total", help: "Windows classified, by modalities used.",
            labels: [("modalities", modalities.map(\.description).joined(separator: "+"))])
    }
}
