import XCTest
@testable import CMCStream

final class SampleRingTests: XCTestCase {
    private func insert(_ ring: inout SampleRing, _ t: Int64, bound: Int64 = 100) -> SampleRing.InsertResult {
        ring.insert(time: t, from: [Float(t), -Float(t)], offset: 0, reorderBound: bound)
    }

    /// Growing from 64 slots to the capacity (and wrapping around after it) keeps exactly what a sorted
    /// list of the newest `capacity` samples would, reordered inserts included.
    func testGrowthKeepsOrderAgainstAReference() {
        var ring = SampleRing(capacity: 300, stride: 2)
        XCTAssertEqual(ring.allocated, 64)
        var reference: [Int64] = []
        for k in 0..<1000 {
            var t = Int64(k) * 10
            if k % 7 == 3 { t -= 15 } // a little late: slotted in place
            let result = ring.insert(time: t, from: [Float(t), -Float(t)], offset: 0, reorderBound: 100)
            if result.accepted {
                reference.append(t)
                reference.sort()
                if reference.count > 300 { reference.removeFirst(reference.count - 300) }
            }
        }
        XCTAssertEqual(ring.allocated, 300)
        XCTAssertEqual((0..<ring.count).map { ring.time(at: $0) }, reference)
        XCTAssertEqual((0..<ring.count).map { ring.value(at: $0, component: 1) }, reference.map { -Float($0) })
    }

    func testCapacityIsABoundAndEvictsOldest() {
        var ring = SampleRing(capacity: 4, stride: 2)
        for t in 1...10 { XCTAssertEqual(insert(&ring, Int64(t)), .appended) }
        XCTAssertEqual(ring.count, 4)
        XCTAssertEqual(ring.oldestTime, 7)
        XCTAssertEqual(ring.newestTime, 10)
        XCTAssertEqual(ring.evictedWhileFull, 6)
        XCTAssertEqual(ring.value(at: 0, component: 1), -7)
    }

    func testReorderWithinBoundDuplicatesAndLateSamples() {
        var ring = SampleRing(capacity: 8, stride: 2)
        for t: Int64 in [10, 20, 40] { _ = insert(&ring, t) }
        XCTAssertEqual(insert(&ring, 30), .reordered)
        XCTAssertEqual(insert(&ring, 30), .duplicate)
        XCTAssertEqual(insert(&ring, 5, bound: 20), .tooOld) // 40 - 20 > 5
        XCTAssertEqual(insert(&ring, 15, bound: 30), .reordered)
        XCTAssertEqual((0..<ring.count).map { ring.time(at: $0) }, [10, 15, 20, 30, 40])
        XCTAssertEqual((0..<ring.count).map { ring.value(at: $0, component: 0) }, [10, 15, 20, 30, 40])
    }

    func testReorderInFullRingAcrossTheWrap() {
        var ring = SampleRing(capacity: 4, stride: 2)
        for t: Int64 in [1, 2, 3, 5, 6, 8] { _ = insert(&ring, t) } // head has wrapped
        XCTAssertEqual(insert(&ring, 7), .reordered) // evicts 3
        XCTAssertEqual((0..<ring.count).map { ring.time(at: $0) }, [5, 6, 7, 8])
        XCTAssertEqual(insert(&ring, 4), .tooOld) // older than all it can hold
    }

    func testTimeRangeQueriesAndRetention() {
        var ring = SampleRing(capacity: 16, stride: 2)
        for t in stride(from: Int64(0), through: 100, by: 10) { _ = insert(&ring, t) }
        XCTAssertEqual(ring.indices(after: 20, through: 50), 3..<6) // 30, 40, 50
        XCTAssertEqual(ring.indices(after: 200, through: 300).count, 0)
        XCTAssertEqual(ring.indices(after: -50, through: 0), 0..<1)
        ring.removeOlder(than: 55)
        XCTAssertEqual(ring.oldestTime, 60)
        XCTAssertEqual(ring.count, 5)
    }
}
