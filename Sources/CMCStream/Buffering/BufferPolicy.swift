/// Limits and tolerances of the per-subject buffers and the windower.
public struct BufferPolicy: Sendable, Equatable {
    /// Hard bound on samples held per subject and modality (memory = capacity × floats per sample).
    /// 512 holds > 10 s at 50 Hz, more than any window plus the reorder margin.
    public var capacityPerStream: Int = 512
    /// A sample up to this much older than the newest of its stream is still slotted in place.
    public var reorderSeconds: Double = 0.2
    /// A window is usable for a modality only if no gap between samples (or at its edges) exceeds this.
    public var maxGapSeconds: Double = 0.25
    /// A modality whose last frame arrived longer ago than this is missing: the other decides alone.
    public var staleAfterSeconds: Double = 1.0
    /// A subject with no frame at all for this long is forgotten (buffers and smoothing state freed).
    public var evictAfterSeconds: Double = 30
    /// Bound on tracked subjects. When the table is full a newcomer takes the slot of a silent subject,
    /// or of a streaming one whose publisher holds more than its fair share (`SlotShares`); otherwise
    /// its frames are dropped (counted).
    public var maxSubjects: Int = 1024
    /// Per subject and modality; excess frames are dropped so a flooding sender cannot starve others.
    public var maxFramesPerSecond: Double = 400

    public init() {}
}

/// Why a well-formed frame was not buffered (the `reason` label of `cmc_frames_dropped_total`).
public enum DropReason: String, Sendable, CaseIterable {
    /// Stamped too far in the future (shared clock), or the sensor clock stepped forward (not yet re-synced).
    case future
    /// Older than the reorder bound: timestamps went backwards.
    case late
    /// Every sample's timestamp was already buffered.
    case duplicate
    case rateLimit = "rate_limit"
    case subjectLimit = "subject_limit"
    /// The loaded model has no branch for this modality.
    case unusedModality = "unused_modality"
    /// The sender's CURVE key is bound to other subjects (`subjects=` on its allow-list line).
    case unauthorized
}

/// Why a subject was forgotten (the `reason` label of `cmc_subjects_evicted_total`).
public enum EvictionReason: String, Sendable, CaseIterable {
    /// No frame for `evictAfterSeconds`.
    case idle
    /// Silent for `staleAfterSeconds` (nothing in flight): gave its slot to a new subject, table full.
    case silent
    /// Still streaming, but its publisher held more than its fair share of slots when another
    /// publisher's new subject needed one: the publisher's least recently active subject gave way.
    case overShare = "over_share"
}

/// Why a due window was not classified (the `reason` label of `cmc_windows_skipped_total`).
public enum SkipReason: String, Sendable, CaseIterable {
    /// The subject's previous window was still being classified (workers saturated).
    case busy
    /// Not enough data (warm-up, gaps beyond `maxGapSeconds`), or no model for the modalities present.
    case incomplete
    /// The classifier threw or returned invalid probabilities.
    case classifierError = "classifier_error"
    /// Dropped unclassified: its publisher already had `maxQueuedWindowsPerPublisher` windows waiting for
    /// the workers (the oldest goes), so a flooding publisher cannot take more than its turn.
    case queueFull = "queue_full"
}
