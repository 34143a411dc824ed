/// How many of the `capacity` subject slots each publisher holds, and who gives one up when the table
/// is full and a frame of a new subject arrives.
///
/// Silent subjects alone giving way (the rule before) let a publisher squat every slot by speaking to
/// each of its invented ids more often than the silence limit, locking every other publisher's new
/// subjects out for as long as it kept going (issue 10: 23–34 s). So each publisher holding slots —
/// counting the newcomer's — is entitled to a fair share of them, `capacity / publishers`:
///
/// 1. a silent subject gives way first, the one silent longest (no streaming subject loses anything);
///    a publisher already at or over its share may only reclaim its own silent subjects;
/// 2. else a publisher under its share takes the slot of the least recently active subject of the
///    publisher holding the most slots above its share (there is one: the table is full);
/// 3. else the newcomer is refused (`subject_limit`): its publisher has its share, all of it streaming.
///
/// A flooding publisher thus keeps at most the slots nobody else asks for, and can never take a slot
/// from a publisher within its share. A subject with a window in flight is never a candidate (its
/// result must find it). With one publisher (no CURVE and one sender address, or a proxy) this is the
/// rule before: silent subjects give way, streaming ones never.
struct SlotShares: Sendable {
    /// A subject that could give way: none with a window in flight.
    struct Candidate: Sendable {
        var subject: UInt32
        var publisher: Publisher
        /// CLOCK_MONOTONIC ns of its latest frame.
        var lastArrival: Int64
    }

    enum Choice: Equatable, Sendable {
        case evict(subject: UInt32, reason: EvictionReason)
        case refuse
    }

    let capacity: Int
    /// Slots held per publisher; publishers holding none are absent.
    private(set) var held: [Publisher: Int] = [:]

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func take(for publisher: Publisher) {
        held[publisher, default: 0] += 1
    }

    mutating func release(from publisher: Publisher) {
        guard let count = held[publisher] else { return }
        held[publisher] = count > 1 ? count - 1 : nil
    }

    mutating func transfer(from old: Publisher, to new: Publisher) {
        guard old != new else { return }
        release(from: old)
        take(for: new)
    }

    /// Who gives way to `newcomer`'s new subject in a full table; subjects whose latest frame arrived
    /// before `silentBefore` are silent.
    func choose(for newcomer: Publisher, among candidates: some Sequence<Candidate>, silentBefore: Int64) -> Choice {
        let publishers = held.count + (held[newcomer] == nil ? 1 : 0)
        // Shares compared multiplied out (held × publishers against capacity): exact in integers.
        let underShare = (held[newcomer] ?? 0) * publishers < capacity
        // Most slots first; ties by name, so the choice does not depend on dictionary order.
        let target =
            underShare
            ? held.filter { $0.value * publishers > capacity }
                .max { ($0.value, $1.key.name) < ($1.value, $0.key.name) }?.key : nil
        var silent: Candidate?
        var leastRecent: Candidate?
        for c in candidates {
            if c.lastArrival < silentBefore, underShare || c.publisher == newcomer,
                silent.map({ c.lastArrival < $0.lastArrival }) ?? true
            {
                silent = c
            }
            if c.publisher == target, leastRecent.map({ c.lastArrival < $0.lastArrival }) ?? true {
                leastRecent = c
            }
        }
        if let silent { return .evict(subject: silent.subject, reason: .silent) }
        if let leastRecent { return .evict(subject: leastRecent.subject, reason: .overShare) }
        return .refuse
    }
}

/// A subject the assembler forgot, reported by `WindowAssembler.evictIdle` for the daemon to forget it
/// too, count it and (for a slot taken) log it.
public struct SubjectEviction: Equatable, Sendable {
    public var subject: UInt32
    /// The publisher of its latest frame.
    public var publisher: Publisher
    public var reason: EvictionReason
    /// The publisher whose new subject took the slot (nil for `idle`).
    public var newcomer: Publisher?
}
