import CMCStream

/// Stateful target: the input is a program of operations on the daemon's per-subject state — frames of
/// both modalities for more subjects than the table holds, reordered, duplicated, with sequence gaps
/// and restarts, sensor clock jumps and pauses of the daemon clock — run through a `WindowAssembler`
/// (which owns the clock aligners and sequence trackers) plus a shadow `ClockAligner` and
/// `SequenceTracker` per stream, checking after every step what the daemon relies on: the subject
/// table and its buffers stay bounded, every window is well-formed, a subject's periodic windows move
/// forward by at least a hop, none is cut while the previous is in flight, a sample is never mapped
/// into the future, and stragglers never outnumber the frames counted lost.
enum AssemblerTarget: FuzzTarget {
    static let name = "assembler"
    static let subjectIDs: UInt8 = 12
    static let inertialChannels = 6
    static let skeletonJoints = 2
    static let operationLimit = 4096

    static func run(_ bytes: [UInt8]) -> String? {
        var machine = Machine(Program(bytes))
        var operations = 0
        while !machine.program.isEmpty && operations < operationLimit {
            if let problem = machine.step() { return "operation \(operations): \(problem)" }
            operations += 1
        }
        return nil
    }

    /// The input read as small numbers; zeros once it runs out, so every input is a complete program.
    struct Program {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var isEmpty: Bool { position >= bytes.count }
        mutating func byte() -> UInt8 {
            defer { position += 1 }
            return position < bytes.count ? bytes[position] : 0
        }
        mutating func below(_ n: Int) -> Int { Int(byte()) % n }
    }

    struct StreamKey: Hashable {
        let subject: UInt32
        let modality: Modality
    }

    /// What the sender side of one stream has sent so far, and the shadows of the daemon's per-stream state.
    struct Sender {
        var sensorTime: Int64
        var sequence: UInt64 = 0
        var sample = 0
        var aligner: ClockAligner
        var tracker = SequenceTracker()
        var lost: UInt64 = 0
        var recovered: UInt64 = 0
    }

    struct Machine {
        var program: Program
        var assembler: WindowAssembler
        let spec: ClassifierSpec
        let clock: ClockPolicy
        let windowNanoseconds: Int64
        let sensorBase: Int64
        var now: Int64 = 1_000_000_000_000
        var senders: [StreamKey: Sender] = [:]
        var lastFrame: SensorFrame?
        /// End of each subject's last periodic window, and whether a window of it is being classified.
        var lastEnd: [UInt32: Int64] = [:]
        var inFlight: Set<UInt32> = []
        var known: Set<UInt32> = []

        init(_ program: Program) {
            self.program = program
            let setup = self.program.byte()
            var clock = ClockPolicy()
            clock.mode = setup & 1 == 0 ? .aligned : .shared
            var buffer = BufferPolicy()
            buffer.maxSubjects = 1 + self.program.below(8)
            buffer.capacityPerStream = 8 << self.program.below(4)
            var segmentation = SegmenterPolicy()
            segmentation.enabled = setup & 2 != 0
            let branches = (setup >> 2) % 3 // both, IMU only, skeleton only
            let windowSeconds = 0.5 + Double(self.program.below(4)) * 0.5
            let units: [SensorUnit] =
                Array(repeating: .metresPerSecondSquared, count: 3)
                + Array(repeating: .radiansPerSecond, count: 3)
            spec = ClassifierSpec(
                classNames: ["a", "b"], windowSeconds: windowSeconds,
                inertialChannels: branches == 2 ? nil : AssemblerTarget.inertialChannels,
                inertialUnits: units, skeletonCoordinates: branches == 1 ? nil : 3,
                skeletonJoints: branches == 1 ? nil : AssemblerTarget.skeletonJoints,
                skeletonUnit: .metres)
            self.clock = clock
            windowNanoseconds = Int64(windowSeconds * 1e9)
            // Sensor clocks near the daemon's, far from it, or near either end of the protocol's range.
            let bases: [Int64] = [now - 5_000_000_000, 1 << 40, -(1 << 61), FrameCodec.timestampLimit - (1 << 40)]
            sensorBase = bases[Int(setup >> 4) % bases.count]
            assembler = WindowAssembler(
                spec: spec, buffer: buffer, clock: clock,
                hopSeconds: setup & 0x40 == 0 ? 0.25 : 0.5, segmentation: segmentation)
        }

        mutating func step() -> String? {
            switch program.below(10) {
            case 0, 1, 2:
                let frame = nextFrame()
                now += Int64(program.byte()) * 100_000
                return ingest(frame)
            case 3: now += (Int64(program.byte()) + 1) * 1_000_000
            case 4: now += (Int64(program.below(64)) + 1) * 500_000_000
            case 5:
                let key = streamKey()
                let flags = program.byte()
                let seconds = Int64(flags >> 2 & 7) + 1
                var sender = senders[key] ?? newSender()
                sender.sensorTime += (flags & 1 == 0 ? 1 : -1) * seconds * 1_000_000_000
                senders[key] = sender
            case 6: if let frame = lastFrame { return ingest(frame) }
            case 7:
                let first = nextFrame()
                let second = nextFrame()
                return ingest(second) ?? ingest(first)
            case 8: return cut(UInt32(program.below(Int(AssemblerTarget.subjectIDs))))
            default:
                let id = UInt32(program.below(Int(AssemblerTarget.subjectIDs)))
                assembler.finished(subject: id)
                inFlight.remove(id)
                for window in assembler.closeSilentActions(now: now) {
                    if let problem = check(window, subject: window.subject) { return "silent action: \(problem)" }
                }
                for eviction in assembler.evictIdle(now: now) { forget(eviction.subject) }
            }
            return bounds()
        }

        func newSender() -> Sender { Sender(sensorTime: sensorBase, aligner: ClockAligner(policy: clock)) }

        mutating func streamKey() -> StreamKey {
            let b = program.byte()
            return StreamKey(
                subject: UInt32(b % AssemblerTarget.subjectIDs),
                modality: b & 0x80 == 0 ? .inertial : .skeleton)
        }

        /// The next frame of a stream; the sender's clock and counters move on as a real sensor's would.
        mutating func nextFrame() -> SensorFrame? {
            let key = streamKey()
            let flags = program.byte()
            let sequenceStep = program.byte()
            let seed = program.byte()
            var sender = senders[key] ?? newSender()
            defer { senders[key] = sender }
            let samples = 1 + Int(flags >> 1 & 7)
            let periods: [Int64] = [10_000_000, 20_000_000, 33_333_333, 1_000_000, 250_000_000, 20_000_000]
            let timing: FrameTiming
            var elapsed: Int64
            if flags >> 4 & 7 == 6 {
                var times: [Int64] = []
                var t = sender.sensorTime
                for k in 0..<samples {
                    times.append(t)
                    t += (Int64(seed &+ UInt8(k) &* 37) + 1) * 1_000_000
                }
                timing = .explicit(times)
                elapsed = t - sender.sensorTime
            } else {
                let period = periods[Int(flags >> 4 & 7) % periods.count]
                timing = .regular(start: sender.sensorTime, periodNanoseconds: UInt32(period))
                elapsed = period * Int64(samples)
            }
            switch sequenceStep % 8 {
            case 5: sender.sequence &+= UInt64((sequenceStep >> 3) % 8) + 2
            case 6: sender.sequence &+= 1 << 21
            case 7:
                let back = UInt64(sequenceStep >> 3)
                sender.sequence = sender.sequence >= back ? sender.sequence - back : 0
            default: sender.sequence &+= 1
            }
            let modality = key.modality
            // Now and then a frame the model does not take (one channel too many), or in g with a value
            // that overflows on conversion: both must be refused with an error, not buffered.
            let misfit = seed == 0xFF
            let channels = (modality == .inertial ? AssemblerTarget.inertialChannels : 3) + (misfit ? 1 : 0)
            let joints = modality == .inertial ? 0 : AssemblerTarget.skeletonJoints
            let stride = modality == .inertial ? channels : channels * joints
            let first = sender.sample * stride
            var values = (0..<(stride * samples)).map { i in Float((Int(seed) * 31 + (first + i) * 7) % 97) / 10 - 4.8 }
            var units: [SensorUnit]? = nil
            if flags & 1 != 0 && modality == .inertial {
                units =
                    Array(repeating: .standardGravity, count: 3)
                    + Array(repeating: .degreesPerSecond, count: channels - 3)
                if seed == 0xFE { values[0] = 3e38 }
            }
            sender.sensorTime += elapsed
            sender.sample += samples
            let frame = SensorFrame(
                modality: modality, subject: key.subject, sequence: sender.sequence,
                channels: channels, joints: joints, units: units, timing: timing, values: values)
            // Only what the wire decoder accepts reaches the assembler in the daemon.
            return try? FrameCodec.decode(FrameCodec.encode(frame))
        }

        mutating func ingest(_ frame: SensorFrame?) -> String? {
            guard let frame else { return nil }
            lastFrame = frame
            let key = StreamKey(subject: frame.subject, modality: frame.modality)
            var sender = senders[key] ?? newSender()
            if let problem = shadow(&sender, frame) { return problem }
            senders[key] = sender
            let before = Set(assembler.subjectIDs)
            let outcome: WindowAssembler.IngestOutcome
            do { outcome = try assembler.ingest(frame, arrival: now) } catch { return bounds() }
            if case .buffered(_, _, _, let refused) = outcome, refused >= frame.sampleCount {
                return "buffered a frame of \(frame.sampleCount) samples while refusing \(refused)"
            }
            // A subject that left the table (evicted to make room) starts afresh when it comes back.
            for id in before.subtracting(assembler.subjectIDs) { forget(id) }
            return bounds()
        }

        /// Feeds the frame to the stream's shadow aligner and tracker and checks their answers.
        func shadow(_ sender: inout Sender, _ frame: SensorFrame) -> String? {
            let newest = frame.timing.timestamp(ofSample: frame.sampleCount - 1)
            let d = now &- newest
            switch sender.aligner.observe(sensorTime: newest, arrival: now) {
            case .accepted(let offset), .resynchronised(let offset):
                if clock.mode == .aligned && offset > d {
                    return "clock offset \(offset) maps the newest sample \(offset - d) ns into the future"
                }
                if clock.mode == .shared && offset != 0 { return "shared clock with offset \(offset)" }
            case .future:
                if clock.mode == .shared && newest &- now <= Int64(clock.maxFutureSeconds * 1e9) {
                    return "refused a sample \(newest &- now) ns ahead as future"
                }
            }
            let previous = sender.tracker.highest
            switch sender.tracker.observe(frame.sequence) {
            case .gap(let missing): sender.lost &+= missing
            case .straggler: sender.recovered &+= 1
            case .reset:
                sender.lost = 0
                sender.recovered = 0
            case .inOrder: break
            }
            if sender.recovered > sender.lost {
                return "\(sender.recovered) stragglers but only \(sender.lost) frames counted lost"
            }
            if let previous, let highest = sender.tracker.highest, highest < previous, highest != frame.sequence {
                return "highest sequence fell from \(previous) to \(highest) without a reset"
            }
            return nil
        }

        mutating func cut(_ id: UInt32) -> String? {
            switch assembler.cut(subject: id, now: now) {
            case .notDue, .skipped: break
            case .window(let window):
                if inFlight.contains(id) { return "subject \(id): a window cut while the previous one is in flight" }
                if let problem = check(window, subject: id) { return problem }
                guard case .periodic(let label, let phase) = window.purpose else { return "cut gave an action window" }
                if label.upperBound &- label.lowerBound != windowNanoseconds {
                    return "label span \(label) is not a window long"
                }
                // Without the segmenter's say the data is the label span; with it, the action around its centre.
                if phase == nil && (window.start != label.lowerBound || window.end != label.upperBound) {
                    return "window (\(window.start), \(window.end)] is not its label span \(label)"
                }
                if known.contains(id), let last = lastEnd[id], label.upperBound &- last < assembler.hopNanoseconds {
                    return "subject \(id): window end moved \(label.upperBound &- last) ns, less than a hop"
                }
                lastEnd[id] = label.upperBound
                known.insert(id)
                if window.inertial != nil || window.skeleton != nil { inFlight.insert(id) }
            }
            for window in assembler.cutActions(subject: id, now: now) {
                if let problem = check(window, subject: id) { return "action: \(problem)" }
            }
            return bounds()
        }

        mutating func forget(_ id: UInt32) {
            known.remove(id)
            lastEnd[id] = nil
            inFlight.remove(id)
        }

        /// The memory the daemon may spend on the subjects is bounded by its policy, whatever was sent.
        func bounds() -> String? {
            let buffer = assembler.buffer
            if assembler.activeSubjects > buffer.maxSubjects {
                return "\(assembler.activeSubjects) subjects tracked, the limit is \(buffer.maxSubjects)"
            }
            let floatsPerSample = AssemblerTarget.inertialChannels + 3 * AssemblerTarget.skeletonJoints
            let perSubject = buffer.capacityPerStream * floatsPerSample
            if assembler.allocatedFloats > assembler.activeSubjects * perSubject {
                return "\(assembler.allocatedFloats) floats buffered for \(assembler.activeSubjects) subjects"
            }
            for id in assembler.subjectIDs {
                guard let counts = assembler.bufferedCounts(subject: id) else {
                    return "subject \(id) listed but unknown"
                }
                if max(counts.inertial, counts.skeleton) > buffer.capacityPerStream {
                    return "subject \(id) buffers \(counts) samples, capacity \(buffer.capacityPerStream)"
                }
            }
            return nil
        }

        func check(_ window: Window, subject id: UInt32) -> String? {
            if window.subject != id { return "window of subject \(window.subject) cut for \(id)" }
            if window.end &- window.start <= 0 { return "window (\(window.start), \(window.end)] is empty" }
            if window.readyAt != now { return "window ready at \(window.readyAt), cut at \(now)" }
            if window.inertial == nil && window.skeleton == nil {
                if case .periodic(_, .idle?) = window.purpose { return nil }
                return "a window without data that is not an idle label"
            }
            if !spec.accepts(inertial: window.inertial != nil, skeleton: window.skeleton != nil) {
                return "window of \(window.modalities) that the model cannot classify"
            }
            let span = Double(window.end &- window.start) * 1e-9
            for (m, expected) in [
                (window.inertial, (spec.inertialChannels ?? -1, 0)),
                (window.skeleton, (spec.skeletonCoordinates ?? -1, spec.skeletonJoints ?? -1)),
            ] {
                guard let m else { continue }
                if (m.channels, m.joints) != expected {
                    return "window of \(m.channels) × \(m.joints), the model takes \(expected)"
                }
                if m.count < 2 || m.times.count != m.count { return "\(m.times.count) times for \(m.count) samples" }
                if m.values.count != m.channels * m.count * max(1, m.joints) {
                    return "\(m.values.count) values for \(m.channels) × \(m.count) × \(m.joints)"
                }
                if !zip(m.times, m.times.dropFirst()).allSatisfy({ $0 < $1 }) { return "sample times not increasing" }
                if let first = m.times.first, let last = m.times.last, first <= 0 || last > span + 1e-9 {
                    return "sample times \(first)…\(last) outside the window's (0, \(span)] s"
                }
                if !m.values.allSatisfy(\.isFinite) { return "non-finite value in a window" }
            }
            return nil
        }
    }

    /// Seeds written as programs: steady streams of two subjects with cuts, a subject flood with clock
    /// jumps, reordering and duplicates.
    static func seeds() -> [[UInt8]] {
        func steady(setup: UInt8, subjects: UInt8, rounds: Int) -> [UInt8] {
            var p: [UInt8] = [setup, 3, 3, 1]
            for r in 0..<rounds {
                for s in 0..<subjects {
                    p += [0, s, 0x02 | 0x10, 0, UInt8(r % 251), 0] // IMU: 2 samples at 20 ms
                    p += [1, s | 0x80, 0x02 | 0x20, 0, UInt8(r % 251), 0] // skeleton: 2 samples at 33 ms
                }
                p += [3, 39]
                for s in 0..<subjects { p += [8, s, 9, s] }
            }
            return p
        }
        var trouble = steady(setup: 0x02, subjects: 2, rounds: 40)
        for s in UInt8(0)..<12 { trouble += [0, s, 0x10, 0, 7, 1] } // more subjects than slots
        trouble += [5, 0x80, 0x0D, 6, 7, 0, 0x12, 5, 9, 0, 0x12, 0, 3, 4, 3]
        trouble += steady(setup: 0, subjects: 1, rounds: 20).dropFirst(4)
        return [steady(setup: 0, subjects: 2, rounds: 60), steady(setup: 0x41, subjects: 3, rounds: 30), trouble]
    }
}
