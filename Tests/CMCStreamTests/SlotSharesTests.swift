import CMCCore
import XCTest
@testable import CMCStream

/// Who gives way when the subject table is full (issue 10, item 3): silent subjects first, then the
/// least recently active subject of the publisher most over its fair share; a publisher at or over its
/// share only reclaims its own silent subjects.
final class SlotSharesTests: XCTestCase {
    private let flood = Publisher(MessageOrigin(user: "flood"))
    private let wrist = Publisher(MessageOrigin(user: "wrist"))
    private let ward = Publisher(MessageOrigin(user: "ward"))

    private func candidate(_ subject: UInt32, _ publisher: Publisher, at time: Int64) -> SlotShares.Candidate {
        SlotShares.Candidate(subject: subject, publisher: publisher, lastArrival: time)
    }

    private func shares(_ holders: [(Publisher, Int)], capacity: Int) -> SlotShares {
        var shares = SlotShares(capacity: capacity)
        for (publisher, count) in holders {
            for _ in 0..<count { shares.take(for: publisher) }
        }
        return shares
    }

    func testTheChoiceOfWhoGivesWay() {
        let table = shares([(flood, 6), (wrist, 2)], capacity: 8)
        // Every subject spoke after `silentBefore` (5): nobody is silent. The flood's subject 100 is its
        // least recently active.
        let streaming =
            (0..<6).map { candidate(100 + UInt32($0), flood, at: 10 + Int64($0)) }
            + [candidate(7, wrist, at: 20), candidate(8, wrist, at: 9)]
        func choice(for newcomer: Publisher, _ candidates: [SlotShares.Candidate]) -> SlotShares.Choice {
            table.choose(for: newcomer, among: candidates, silentBefore: 5)
        }
        // A third publisher (share 8/3) and the wrist (share 4, holds 2) take from the flood (holds 6)…
        XCTAssertEqual(choice(for: ward, streaming), .evict(subject: 100, reason: .overShare))
        XCTAssertEqual(choice(for: wrist, streaming), .evict(subject: 100, reason: .overShare))
        // …never the wrist's subject 8, though it is the least recently active of all; the flood, over
        // its share, is refused.
        XCTAssertEqual(choice(for: flood, streaming), .refuse)
        // A subject with a window in flight is no candidate: the next least recent gives way.
        let notInFlight = streaming.filter { $0.subject != 100 }
        XCTAssertEqual(choice(for: ward, notInFlight), .evict(subject: 101, reason: .overShare))

        // A silent subject gives way first — to a publisher under its share, whosever it is…
        let wristSilent = streaming.map { c in c.subject == 8 ? candidate(8, wrist, at: 1) : c }
        XCTAssertEqual(choice(for: ward, wristSilent), .evict(subject: 8, reason: .silent))
        // …but a publisher over its share only reclaims its own.
        XCTAssertEqual(choice(for: flood, wristSilent), .refuse)
        let floodSilent = wristSilent.map { c in c.subject == 103 ? candidate(103, flood, at: 2) : c }
        XCTAssertEqual(choice(for: flood, floodSilent), .evict(subject: 103, reason: .silent))
        XCTAssertEqual(
            choice(for: ward, floodSilent), .evict(subject: 8, reason: .silent),
            "the one silent longest")
    }

    func testAPublisherAtItsShareIsRefusedAndTiesGoByName() {
        let a = Publisher(MessageOrigin(user: "a"))
        let b = Publisher(MessageOrigin(user: "b"))
        let table = shares([(a, 4), (b, 4)], capacity: 8)
        let streaming = (0..<8).map { candidate(UInt32($0), $0 < 4 ? a : b, at: 10 - Int64($0)) }
        XCTAssertEqual(table.choose(for: b, among: streaming, silentBefore: 0), .refuse, "b has its share of 4")
        // A third publisher: both are over a share of 8/3, equally; `a` gives way (name order), its
        // least recent subject (3, at 7).
        XCTAssertEqual(
            table.choose(for: ward, among: streaming, silentBefore: 0),
            .evict(subject: 3, reason: .overShare))
        // One publisher alone (no CURVE, one address): only silent subjects give way, as before.
        let alone = shares([(a, 8)], capacity: 8)
        let all = (0..<8).map { candidate(UInt32($0), a, at: 10) }
        XCTAssertEqual(alone.choose(for: a, among: all, silentBefore: 5), .refuse)
    }

    func testSlotsFollowTheirPublisher() {
        var table = shares([(flood, 2)], capacity: 4)
        table.transfer(from: flood, to: wrist)
        XCTAssertEqual(table.held, [flood: 1, wrist: 1])
        table.release(from: flood)
        table.release(from: ward) // holds nothing: no effect
        XCTAssertEqual(table.held, [wrist: 1], "a publisher holding nothing is forgotten")
    }
}
