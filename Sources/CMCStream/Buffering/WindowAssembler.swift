/// Per-subject buffers and the windower: frames go in, aligned multimodal windows come out.
///
/// A plain value owned by the pipeline's I/O thread (no locks: one owner). Windows are cut from data
/// arrival, not from a free-running timer: when the newest sample common to the subject's present
/// modalities reaches the previous window end plus one hop, the window ending there is cut at once,
/// so the end-to-end latency is inference plus publishing, not up to a hop of waiting. Window ends
/// stay on a regular grid (`previous end + hop`) unless the subject fell behind by more than a hop.
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
        var inertial: ModalityStream?
        var skeleton: ModalityStream?
        var lastWindowEnd: Int64?
        var inFlight = false

        subscript(modality: Modality) -> ModalityStream? {
            get { modality == .inertial ? inertial : skeleton }
            set { if modality == .inertial { inertial = newValue } else { skeleton = newValue } }
        }
        var lastArrival: Int64 { max(inertial?.lastArrival ?? .min, skeleton?.lastArrival ?? .min) }
    }

    public private(set) var spec: ClassifierSpec
    public let buffer: BufferPolicy
    public let clock: ClockPolicy
    public let hopNanoseconds: Int64
    private var subjects: [UInt32: Subject] = [:]

    public init(spec: ClassifierSpec, buffer: BufferPolicy, clock: ClockPolicy, hopSeconds: Double) {
        self.spec = spec
        self.buffer = buffer
        self.clock = clock
        self.hopNanoseconds = Int64(hopSeconds * 1e9)
    }

    public var activeSubjects: Int { subjects.count }
    public var subjectIDs: [UInt32] { Array(subjects.keys) }

    /// Buffers a decoded frame that arrived at `arrival` (CLOCK_MONOTONIC ns). Throws when the frame is
    /// well-formed but does not fit the loaded model (channel or joint counts, units).
    public mutating func ingest(_ frame: SensorFrame, arrival: Int64) throws(WireError) -> IngestOutcome {
        guard let scales = try canonicalScales(for: frame) else { return .dropped(.unusedModality) }
        if subjects[frame.subject] == nil {
            if subjects.count >= buffer.maxSubjects { return .dropped(.subjectLimit) }
            subjects[frame.subject] = Subject()
        }
        var subject = subjects[frame.subject]!
        var stream = subject[frame.modality] ?? ModalityStream(
            capacity: buffer.capacityPerStream, stride: frame.stride, clock: clock, now: arrival, burst: buffer.maxFramesPerSecond)
        defer { subject[frame.modality] = stream; subjects[frame.subject] = subject }

        // Every frame that arrives advances the sequence tracker, dropped or not: a frame the rate
        // limiter refuses was received, and must not show up later as a gap "lost upstream".
        let sequence = stream.sequence.observe(frame.sequence)
        if case let .gap(missing) = sequence { stream.unreportedLost &+= missing }
        if !stream.admit(now: arrival, rate: buffer.maxFramesPerSecond) { return .dropped(.rateLimit) }
        let n = frame.sampleCount
        var resynced = false
        switch stream.clock.observe(sensorTime: frame.timing.timestamp(ofSample: n - 1), arrival: arrival) {
        case .future: return .dropped(.future)
        case let .accepted(offset): stream.offset = offset
        case let .resynchronised(offset):
            stream.offset = offset
            stream.ring.removeAll()  // its timestamps belong to the sensor's previous clock
            resynced = true
        }

        var values = frame.values
        if scales.contains(where: { $0 != 1 }) {
            for i in values.indices { values[i] *= scales[i % scales.count] }
        }
        let reorder = Int64(buffer.reorderSeconds * 1e9)
        var late = 0, duplicate = 0
        for k in 0..<n {
            switch stream.ring.insert(time: frame.timing.timestamp(ofSample: k), from: values, offset: k * frame.stride, reorderBound: reorder) {
            case .tooOld: late += 1
            case .duplicate: duplicate += 1
            case .appended, .reordered: break
            }
        }
        if late + duplicate == n { return .dropped(late > 0 ? .late : .duplicate) }
        stream.lastArrival = arrival
        // Time-based retention: nothing older than a window plus margins is ever cut again.
        if let newest = stream.ring.newestTime {
            stream.ring.removeOlder(than: newest - Int64(spec.windowSeconds * 1e9) - reorder - hopNanoseconds - 1_000_000_000)
        }
        let lost = stream.unreportedLost
        stream.unreportedLost = 0
        return .buffered(lost: lost, sequenceReset: sequence == .reset, clockResynced: resynced, refused: late + duplicate)
    }

    /// Cuts the subject's next window if it is due at `now` (CLOCK_MONOTONIC ns).
    public mutating func cut(subject id: UInt32, now: Int64) -> CutOutcome {
        guard var subject = subjects[id] else { return .notDue }
        let stale = Int64(buffer.staleAfterSeconds * 1e9)
        let present = Modality.allCases.filter { m in
            guard let s = subject[m], s.ring.count > 0, now &- s.lastArrival <= stale else { return false }
            return m == .inertial ? spec.inertialChannels != nil : spec.skeletonJoints != nil
        }
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

        let start = end &- Int64(spec.windowSeconds * 1e9)
        let maxGap = Int64(buffer.maxGapSeconds * 1e9)
        let inertial = present.contains(.inertial)
            ? subject.inertial?.cut(start: start, end: end, channels: spec.inertialChannels ?? 0, joints: 0, maxGap: maxGap) : nil
        let skeleton = present.contains(.skeleton)
            ? subject.skeleton?.cut(start: start, end: end, channels: spec.skeletonCoordinates ?? 0,
                                    joints: spec.skeletonJoints ?? 0, maxGap: maxGap) : nil
        guard spec.accepts(inertial: inertial != nil, skeleton: skeleton != nil) else { return .skipped(.incomplete) }
        subject.inFlight = true
        return .window(Window(subject: id, start: start, end: end, inertial: inertial, skeleton: skeleton, readyAt: now))
    }

    /// Samples buffered per modality for a subject (memory accounting, tests).
    public func bufferedCounts(subject id: UInt32) -> (inertial: Int, skeleton: Int)? {
        subjects[id].map { ($0.inertial?.ring.count ?? 0, $0.skeleton?.ring.count ?? 0) }
    }

    /// The subject's window has been classified (or failed): it may get the next one.
    public mutating func finished(subject id: UInt32) { subjects[id]?.inFlight = false }

    /// Forgets subjects silent for `evictAfterSeconds`; returns their ids.
    public mutating func evictIdle(now: Int64) -> [UInt32] {
        let limit = Int64(buffer.evictAfterSeconds * 1e9)
        let idle = subjects.filter { _, s in
            // A subject left without streams (a reload changed the input layout) is idle too.
            !s.inFlight && ((s.inertial == nil && s.skeleton == nil) || now &- s.lastArrival > limit)
        }.map(\.key)
        for id in idle { subjects[id] = nil }
        return idle
    }

    /// Adopts a new model's spec. Streams whose shape or units changed are discarded (their samples no
    /// longer fit); the rest keep their buffers, so a reload with the same input layout loses nothing.
    public mutating func replaceSpec(_ newSpec: ClassifierSpec) {
        let inertialChanged = newSpec.inertialChannels != spec.inertialChannels || newSpec.inertialUnits != spec.inertialUnits
        let skeletonChanged = newSpec.skeletonJoints != spec.skeletonJoints || newSpec.skeletonCoordinates != spec.skeletonCoordinates
        spec = newSpec
        for id in subjects.keys {
            if inertialChanged { subjects[id]?.inertial = nil }
            if skeletonChanged { subjects[id]?.skeleton = nil }
        }
    }

    /// Per-channel factors to canonical units, after checking the frame fits the model; nil when the
    /// model has no branch for this modality.
    private func canonicalScales(for frame: SensorFrame) throws(WireError) -> [Float]? {
        switch frame.modality {
        case .inertial:
            guard let channels = spec.inertialChannels else { return nil }
            if frame.channels != channels { throw WireError("header.channels", .invalid("the loaded model expects \(channels) IMU channels, got \(frame.channels)")) }
        case .skeleton:
            guard let joints = spec.skeletonJoints, let coordinates = spec.skeletonCoordinates else { return nil }
            if frame.joints != joints { throw WireError("header.joints", .invalid("the loaded model expects \(joints) joints, got \(frame.joints)")) }
            if frame.channels != coordinates { throw WireError("header.channels", .invalid("the loaded model expects \(coordinates) coordinates per joint, got \(frame.channels)")) }
        }
        var scales: [Float] = []
        for (c, unit) in frame.units.enumerated() {
            let (canonical, scale) = unit.canonical
            if frame.modality == .inertial, let expected = spec.inertialUnits, c < expected.count, unit != .unspecified, canonical != expected[c] {
                throw WireError("units[\(c)]", .invalid("channel \(c) is in \(canonical), the model expects \(expected[c])"))
            }
            scales.append(scale)
        }
        return scales
    }
}
