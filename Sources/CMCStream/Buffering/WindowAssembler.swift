import CMCCore
/// Per-subject buffers and the windower: frames go in, aligned multimodal windows come out.
///
/// A plain value owned by the pipeline's I/O thread (no locks: one owner). Windows are cut from data
/// arrival, not from a free-running timer: when the newest sample common to the subject's present
/// modalities reaches the previous window end plus one hop, the window ending there is cut at once,
/// so the end-to-end latency is inference plus publishing, not up to a hop of waiting. Window ends
/// stay on a regular grid (`previous end + hop`) unless the subject fell behind by more than a hop.
///
/// With a segmenter (`SegmenterPolicy.enabled`) each subject's motion is also cut into actions: a
/// closed action comes out of `cutActions` as one padded window for one action event, and a periodic
/// window whose centre lies inside an action is narrowed to that action (so its label never mixes two
/// actions), while one whose centre lies between actions is labelled idle without inference.
///
/// Timeline: in `aligned` mode each stream's clock is mapped onto the daemon's by its `ClockAligner`,
/// but the subject's timeline follows its lead stream's *sensor* clock from the moment it was anchored
/// (plus that offset): a sender replaying faster than real time gets a window every hop of its own
/// data, not every hop of wall time, and the other stream keeps its measured offset to the lead.
/// When the lead's clock steps, the timeline goes on from where it was (`continuedAnchor`).
public struct WindowAssembler: Sendable {
    public enum IngestOutcome: Equatable, Sendable {
        /// At least one sample was buffered. `lost`: frames missing before this one (sequence gap);
        /// `refused`: samples of this frame refused as late or duplicate.
        case buffered(lost: UInt64, sequenceReset: Bool, clockResynced: Bool, refused: Int)
        case dropped(DropReason)
    }

    public enum CutOutcome: Sendable {
        case notDue
        case window(Window)
        case skipped(SkipReason)
    }

    struct Subject: Sendable {
        /// Who holds the slot: the publisher of the latest buffered frame (until then, of the first).
        var publisher: Publisher
        var inertial: ModalityStream?
        var skeleton: ModalityStream?
        var lastWindowEnd: Int64?
        var inFlight = false
        /// The stream whose sensor clock the subject's timeline follows (the first to arrive).
        var lead: Modality?
        var segmenter: MotionSegmenter?
        /// Actions closed by the segmenter, waiting for `cutActions`.
        var pendingActions: [ActionSegment] = []
        /// CLOCK_MONOTONIC ns of its latest frame that fits the model, buffered or dropped (rate limit, a
        /// clock step not yet adopted, late): what eviction asks, since such a subject is still sending
        /// (`lastArrival`, of buffered data only, is what windows ask).
        var lastHeard: Int64

        subscript(modality: Modality) -> ModalityStream? {
            get { modality == .inertial ? inertial : skeleton }
            set { if modality == .inertial { inertial = newValue } else { skeleton = newValue } }
        }
        var lastArrival: Int64 { max(inertial?.lastArrival ?? .min, skeleton?.lastArrival ?? .min) }
    }

    public private(set) var spec: ClassifierSpec
    public let buffer: BufferPolicy
    public let clock: ClockPolicy
    public let segmentation: SegmenterPolicy
    public let hopNanoseconds: Int64
    private var subjects: [UInt32: Subject] = [:]
    /// The subjects' slots per publisher: who gives way when the table is full.
    private var shares: SlotShares
    /// Subjects evicted to make room, not yet reported by `evictIdle`.
    private var evictedForRoom: [SubjectEviction] = []
    /// Frames that arrived after being counted lost (reordering): `cmc_frames_recovered_total`.
    public private(set) var recoveredFrames: UInt64 = 0
    /// Above every action id a forgotten subject's segmenter gave out: a subject forgotten and admitted
    /// again numbers its actions from here, so a consumer never sees its action ids go back.
    private var nextActionID: UInt64 = 0

    public init(
        spec: ClassifierSpec, buffer: BufferPolicy, clock: ClockPolicy, hopSeconds: Double,
        segmentation: SegmenterPolicy = SegmenterPolicy()
    ) {
        self.spec = spec
        self.buffer = buffer
        self.clock = clock
        self.segmentation = segmentation
        self.hopNanoseconds = Int64(hopSeconds * 1e9)
        self.shares = SlotShares(capacity: buffer.maxSubjects)
    }

    /// IMU channels the segmenter measures: those the model takes in rad/s (or, with no units known, the
    /// last three of six, the usual accelerometer + gyroscope layout).
    private var gyroChannels: [Int] {
        if let units = spec.inertialUnits { return units.indices.filter { units[$0] == .radiansPerSecond } }
        return spec.inertialChannels == 6 ? [3, 4, 5] : []
    }

    public var activeSubjects: Int { subjects.count }
    public var subjectIDs: [UInt32] { Array(subjects.keys) }

    /// The publisher holding the subject's slot (nil for an unknown subject).
    public func publisher(of subject: UInt32) -> Publisher? { subjects[subject]?.publisher }

    /// Buffers a decoded frame that arrived at `arrival` (CLOCK_MONOTONIC ns) from `publisher`. Throws
    /// when the frame is well-formed but does not fit the loaded model (channel or joint counts, units).
    public mutating func ingest(_ frame: SensorFrame, arrival: Int64, from publisher: Publisher = .local)
        throws(WireError) -> IngestOutcome
    {
        let frame = retargeted(frame)
        guard let scales = try canonicalScales(for: frame) else { return .dropped(.unusedModality) }
        if subjects[frame.subject] == nil {
            if subjects.count >= buffer.maxSubjects && !makeRoom(for: publisher, now: arrival) {
                return .dropped(.subjectLimit)
            }
            var fresh = Subject(publisher: publisher, lastHeard: arrival)
            if segmentation.enabled {
                fresh.segmenter = MotionSegmenter(
                    policy: segmentation, gyroChannels: gyroChannels,
                    skeletonCoordinates: spec.skeletonCoordinates ?? 3, firstActionID: nextActionID)
            }
            subjects[frame.subject] = fresh
            shares.take(for: publisher)
        }
        var subject = subjects[frame.subject]!
        subject.lastHeard = max(subject.lastHeard, arrival)
        var stream =
            subject[frame.modality]
            ?? ModalityStream(
                capacity: buffer.capacityPerStream, stride: frame.stride, clock: clock, now: arrival,
                burst: buffer.maxFramesPerSecond)
        defer {
            subject[frame.modality] = stream
            subjects[frame.subject] = subject
        }

        // Every frame that arrives advances the sequence tracker, dropped or not: a frame the rate
        // limiter refuses was received, and must not show up later as a gap "lost upstream".
        let sequence = stream.sequence.observe(frame.sequence)
        if case .gap(let missing) = sequence { stream.unreportedLost &+= missing }
        if sequence == .straggler { recoveredFrames &+= 1 }
        if !stream.admit(now: arrival, rate: buffer.maxFramesPerSecond) { return .dropped(.rateLimit) }
        let n = frame.sampleCount
        var resynced = false
        switch stream.clock.observe(sensorTime: frame.timing.timestamp(ofSample: n - 1), arrival: arrival) {
        case .future: return .dropped(.future)
        case .accepted(let offset): stream.offset = offset
        case .resynchronised(let offset):
            if subject.lead == frame.modality {
                stream.anchor = Self.continuedAnchor(
                    stream, newestSensorTime: frame.timing.timestamp(ofSample: n - 1), arrival: arrival)
            }
            stream.offset = offset
            stream.ring.removeAll() // its timestamps belong to the sensor's previous clock
            resynced = true
        }
        if subject.lead == nil { subject.lead = frame.modality }
        if subject.lead == frame.modality && stream.anchor == nil { stream.anchor = stream.offset }
        subject[frame.modality] = stream
        Self.remap(&subject)
        stream = subject[frame.modality]!

        var values = frame.values
        if scales.contains(where: { $0 != 1 }) {
            for i in values.indices { values[i] *= scales[i % scales.count] }
            // A finite value can overflow on conversion (3e38 g): refuse the frame here, naming it, rather
            // than let an infinity reach the model and fail every window of the subject.
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw WireError(
                    "data[\(bad / frame.stride)][\(bad % frame.stride)]",
                    .invalid("overflows when converted to canonical units"))
            }
        }
        let reorder = Int64(buffer.reorderSeconds * 1e9)
        var late = 0
        var duplicate = 0
        for k in 0..<n {
            let time = frame.timing.timestamp(ofSample: k)
            switch stream.ring.insert(time: time, from: values, offset: k * frame.stride, reorderBound: reorder) {
            case .tooOld: late += 1
            case .duplicate: duplicate += 1
            case .reordered: break
            case .appended:
                let sample = values[(k * frame.stride)..<((k + 1) * frame.stride)]
                if frame.modality == .inertial {
                    subject.pendingActions +=
                        subject.segmenter?.addIMU(time: time &+ stream.mapping, values: sample) ?? []
                } else {
                    subject.pendingActions +=
                        subject.segmenter?.addSkeleton(time: time &+ stream.mapping, values: sample) ?? []
                }
            }
        }
        if late + duplicate == n { return .dropped(late > 0 ? .late : .duplicate) }
        stream.lastArrival = arrival
        if subject.publisher != publisher {
            shares.transfer(from: subject.publisher, to: publisher)
            subject.publisher = publisher
        }
        // Time-based retention: nothing older than a window (or the longest action) plus margins is cut again.
        if let newest = stream.ring.newestTime {
            let history = max(spec.windowSeconds, segmentation.retentionSeconds)
            stream.ring.removeOlder(than: newest - Int64(history * 1e9) - reorder - hopNanoseconds - 1_000_000_000)
        }
        let lost = stream.unreportedLost
        stream.unreportedLost = 0
        return .buffered(
            lost: lost, sequenceReset: sequence == .reset, clockResynced: resynced, refused: late + duplicate)
    }

    /// Cuts the subject's next window if it is due at `now` (CLOCK_MONOTONIC ns).
    public mutating func cut(subject id: UInt32, now: Int64) -> CutOutcome {
        guard var subject = subjects[id] else { return .notDue }
        let present = presentModalities(subject, now: now)
        guard let commonEnd = present.compactMap({ subject[$0]?.newestDaemonTime }).min() else { return .notDue }
        var end = commonEnd
        if let previous = subject.lastWindowEnd {
            let next = previous &+ hopNanoseconds
            if commonEnd &- next < 0 { return .notDue }
            if commonEnd &- next < hopNanoseconds { end = next }
        }
        subject.lastWindowEnd = end
        defer { subjects[id] = subject }
        if subject.inFlight { return .skipped(.busy) }

        let nominal = end &- Int64(spec.windowSeconds * 1e9)
        let phase = subject.segmenter?.phase(at: nominal &+ (end &- nominal) / 2)
        var start = nominal
        var dataEnd = end
        // The label describes the window's centre: classify the action there — as much of it as has
        // been seen, and nothing else — so the label never mixes two actions or an action with rest,
        // and a closed action gets the same decision as its action event.
        if case .action(_, let actionStart, let actionEnd)? = phase {
            start = actionStart
            dataEnd = actionEnd ?? end
        }
        let purpose = Window.Purpose.periodic(label: nominal...end, phase: phase)
        if phase == .idle {
            return .window(
                Window(
                    subject: id, start: nominal, end: end, inertial: nil, skeleton: nil, readyAt: now,
                    purpose: purpose, sensorOffset: sensorOffset(subject)))
        }
        guard
            var window = cutWindow(
                id, subject, present: present, start: start, end: dataEnd, now: now, fromData: phase != nil)
        else {
            return .skipped(.incomplete)
        }
        window.purpose = purpose
        subject.inFlight = true
        return .window(window)
    }

    /// Windows for the actions the segmenter closed since the last call: each action whole, padded.
    /// They do not wait for the subject's periodic window (an action is published once, never skipped
    /// as busy); an action whose data is no longer, or not completely, buffered is dropped.
    public mutating func cutActions(subject id: UInt32, now: Int64) -> [Window] {
        cutActions(id, now: now, stale: buffer.staleAfterSeconds)
    }

    /// Closes the open action of every subject whose streams stopped mid-action (no frame for the
    /// segmenter's `offsetSeconds`), so its last action still gets an event; returns their windows.
    public mutating func closeSilentActions(now: Int64) -> [Window] {
        let quiet = Int64(segmentation.offsetSeconds * 1e9)
        var windows: [Window] = []
        for id in Array(subjects.keys) {
            guard var subject = subjects[id], subject.segmenter != nil, now &- subject.lastArrival >= quiet else {
                continue
            }
            let closed = subject.segmenter!.flush()
            guard !closed.isEmpty else { continue }
            subject.pendingActions += closed
            subjects[id] = subject
            // The streams are silent now, but their buffered data is what the action was.
            windows += cutActions(id, now: now, stale: .infinity)
        }
        return windows
    }

    private mutating func cutActions(_ id: UInt32, now: Int64, stale: Double) -> [Window] {
        guard var subject = subjects[id], !subject.pendingActions.isEmpty else { return [] }
        let actions = subject.pendingActions
        subject.pendingActions.removeAll()
        subjects[id] = subject
        let present = presentModalities(subject, now: now, stale: stale)
        return actions.compactMap { action in
            let span = segmentation.padded(start: action.start, end: action.end)
            guard var window = cutWindow(id, subject, present: present, start: span.start, end: span.end, now: now)
            else {
                return nil
            }
            window.purpose = .action(action)
            return window
        }
    }

    private func presentModalities(_ subject: Subject, now: Int64, stale staleSeconds: Double? = nil) -> [Modality] {
        let seconds = staleSeconds ?? buffer.staleAfterSeconds
        let stale = seconds.isFinite ? Int64(seconds * 1e9) : Int64.max
        return Modality.allCases.filter { m in
            guard let s = subject[m], s.ring.count > 0, now &- s.lastArrival <= stale else { return false }
            return m == .inertial ? spec.inertialChannels != nil : spec.skeletonJoints != nil
        }
    }

    /// - Parameter fromData: the span comes from an action, whose padding may reach back before the
    ///   subject's first sample (it started moving at once) or beyond the newest (an action closed at
    ///   its longest): it is clamped to the buffered data then.
    private func cutWindow(
        _ id: UInt32, _ subject: Subject, present: [Modality], start requested: Int64, end: Int64, now: Int64,
        fromData: Bool = true
    ) -> Window? {
        var start = requested
        var end = end
        if fromData {
            if let oldest = present.compactMap({ m in
                subject[m].flatMap { s in s.ring.oldestTime.map { $0 &+ s.mapping } }
            }).max(),
                oldest &- start > 0
            {
                start = oldest &- 1 // windows are (start, end]: keep the oldest sample
            }
            // An action closed at its longest has not been followed by its padding yet.
            if let newest = present.compactMap({ subject[$0]?.newestDaemonTime }).min(), end &- newest > 0 {
                end = newest
            }
        }
        let maxGap = Int64(buffer.maxGapSeconds * 1e9)
        let inertial =
            present.contains(.inertial)
            ? subject.inertial?.cut(
                start: start, end: end, channels: spec.inertialChannels ?? 0, joints: 0, maxGap: maxGap) : nil
        let skeleton =
            present.contains(.skeleton)
            ? subject.skeleton?.cut(
                start: start, end: end, channels: spec.skeletonCoordinates ?? 0,
                joints: spec.skeletonJoints ?? 0, maxGap: maxGap) : nil
        guard spec.accepts(inertial: inertial != nil, skeleton: skeleton != nil) else { return nil }
        return Window(
            subject: id, start: start, end: end,
            inertial: inertial, skeleton: skeleton, readyAt: now, sensorOffset: sensorOffset(subject))
    }

    /// Daemon timeline − the lead stream's sensor clock.
    private func sensorOffset(_ subject: Subject) -> Int64 {
        subject.lead.flatMap { subject[$0]?.mapping } ?? 0
    }

    /// Recomputes every stream's mapping from the clock estimates: the lead stream's sensor clock plus
    /// its anchor offset is the timeline, and every other stream keeps its measured offset to the lead.
    /// (In real time the lead's offset hardly moves after its first frames, so this is the aligner's
    /// own mapping; a sender running fast drags its offsets down together, which the anchor undoes.)
    static func remap(_ subject: inout Subject) {
        guard let lead = subject.lead, let leadStream = subject[lead] else { return }
        let anchor = leadStream.anchor ?? leadStream.offset
        for m in Modality.allCases {
            guard var s = subject[m] else { continue }
            s.mapping = s.offset &- leadStream.offset &+ anchor
            subject[m] = s
        }
    }

    /// The lead stream's anchor after its sensor clock stepped: the subject's timeline goes on from where
    /// it was, advanced by the arrival time since the lead's last buffered frame, instead of restarting at
    /// the new offset. Restarting threw away the anchor's lead over the offset, which grows by
    /// `(speed − 1) × elapsed` for a sender faster than real time: the timeline jumped back by that much,
    /// and no window was due until it caught up with the last window end again (25–44 s at 4×). Nil
    /// (anchor at the new offset) when the lead has nothing buffered to continue from.
    static func continuedAnchor(_ lead: ModalityStream, newestSensorTime: Int64, arrival: Int64) -> Int64? {
        guard let previous = lead.newestDaemonTime else { return nil }
        return previous &+ max(0, arrival &- lead.lastArrival) &- newestSensorTime
    }

    /// Samples buffered per modality for a subject (memory accounting, tests).
    public func bufferedCounts(subject id: UInt32) -> (inertial: Int, skeleton: Int)? {
        subjects[id].map { ($0.inertial?.ring.count ?? 0, $0.skeleton?.ring.count ?? 0) }
    }

    /// The subject's window has been classified (or failed): it may get the next one.
    public mutating func finished(subject id: UInt32) { subjects[id]?.inFlight = false }

    /// Frees a slot for a new subject of `newcomer` in a full table, if its share allows (`SlotShares`).
    private mutating func makeRoom(for newcomer: Publisher, now: Int64) -> Bool {
        let candidates = subjects.lazy.filter { !$0.value.inFlight }.map { id, s in
            SlotShares.Candidate(subject: id, publisher: s.publisher, lastArrival: s.lastHeard)
        }
        let silentBefore = now &- Int64(buffer.staleAfterSeconds * 1e9)
        let choice = shares.choose(for: newcomer, among: candidates, silentBefore: silentBefore)
        guard case .evict(let victim, let reason) = choice, let evicted = subjects.removeValue(forKey: victim) else {
            return false
        }
        forgotten(evicted)
        evictedForRoom.append(
            SubjectEviction(
                subject: victim, publisher: evicted.publisher, reason: reason,
                newcomer: newcomer))
        return true
    }

    /// Bookkeeping for a subject removed from the table: its slot, and the action ids it used.
    private mutating func forgotten(_ subject: Subject) {
        shares.release(from: subject.publisher)
        if let segmenter = subject.segmenter { nextActionID = max(nextActionID, segmenter.nextActionID) }
    }

    /// Floats the subjects' ring buffers hold memory for (they grow with use up to their capacity).
    public var allocatedFloats: Int {
        subjects.values.reduce(0) { total, s in
            total + [s.inertial, s.skeleton].compactMap { $0 }.reduce(0) { $0 + $1.ring.allocated * $1.ring.stride }
        }
    }

    /// Forgets subjects silent for `evictAfterSeconds`; returns them, and the subjects evicted since the
    /// last call to make room for new ones.
    public mutating func evictIdle(now: Int64) -> [SubjectEviction] {
        let limit = Int64(buffer.evictAfterSeconds * 1e9)
        let idle = subjects.filter { _, s in
            // A subject left without streams (a reload changed the input layout) is idle too.
            !s.inFlight && ((s.inertial == nil && s.skeleton == nil) || now &- s.lastHeard > limit)
        }
        for (id, s) in idle {
            subjects[id] = nil
            forgotten(s)
        }
        defer { evictedForRoom.removeAll() }
        let forgotten = idle.map { SubjectEviction(subject: $0.key, publisher: $0.value.publisher, reason: .idle) }
        return forgotten + evictedForRoom
    }

    /// Adopts a new model's spec. Streams whose shape or units changed are discarded (their samples no
    /// longer fit); the rest keep their buffers, so a reload with the same input layout loses nothing.
    public mutating func replaceSpec(_ newSpec: ClassifierSpec) {
        let inertialChanged =
            newSpec.inertialChannels != spec.inertialChannels || newSpec.inertialUnits != spec.inertialUnits
        let skeletonChanged =
            newSpec.skeletonJoints != spec.skeletonJoints || newSpec.skeletonCoordinates != spec.skeletonCoordinates
        spec = newSpec
        for id in subjects.keys {
            if inertialChanged { subjects[id]?.inertial = nil }
            if skeletonChanged { subjects[id]?.skeleton = nil }
        }
    }

    /// A skeleton frame of another known layout (Azure Kinect 32, MediaPipe 33, OpenNI 15 joints) as the
    /// model's layout, when the model's is one cmc retargets to; any other frame unchanged.
    private func retargeted(_ frame: SensorFrame) -> SensorFrame {
        guard frame.modality == .skeleton, spec.skeletonLayout == .kinectV1, frame.channels == 3,
            frame.joints != spec.skeletonJoints, let layout = SkeletonLayout(jointCount: frame.joints),
            layout != .kinectV1
        else { return frame }
        var out = frame
        out.joints = SkeletonLayout.kinectV1.jointNames.count
        out.values = layout.retargetToKinectV1(frame.values)
        return out
    }

    /// Per-channel factors to canonical units, after checking the frame fits the model; nil when the
    /// model has no branch for this modality.
    private func canonicalScales(for frame: SensorFrame) throws(WireError) -> [Float]? {
        switch frame.modality {
        case .inertial:
            guard let channels = spec.inertialChannels else { return nil }
            if frame.channels != channels {
                throw WireError(
                    "header.channels",
                    .invalid("the loaded model expects \(channels) IMU channels, got \(frame.channels)"))
            }
        case .skeleton:
            guard let joints = spec.skeletonJoints, let coordinates = spec.skeletonCoordinates else { return nil }
            if frame.joints != joints {
                throw WireError(
                    "header.joints", .invalid("the loaded model expects \(joints) joints, got \(frame.joints)"))
            }
            if frame.channels != coordinates {
                throw WireError(
                    "header.channels",
                    .invalid("the loaded model expects \(coordinates) coordinates per joint, got \(frame.channels)"))
            }
        }
        var scales: [Float] = []
        for (c, unit) in frame.units.enumerated() {
            let (canonical, scale) = unit.canonical
            if frame.modality == .inertial, let expected = spec.inertialUnits, c < expected.count, unit != .unspecified,
                canonical != expected[c]
            {
                throw WireError(
                    "units[\(c)]", .invalid("channel \(c) is in \(canonical), the model expects \(expected[c])"))
            }
            if frame.modality == .skeleton, let expected = spec.skeletonUnit, unit != .unspecified,
                canonical != expected
            {
                throw WireError(
                    "units[\(c)]",
                    .invalid("skeleton coordinate \(c) is in \(canonical), the model expects \(expected)"))
            }
            scales.append(scale)
        }
        return scales
    }
}
