import CMCCore
import XCTest
@testable import CMCData

final class InertialAugmentationTests: XCTestCase {
    /// (C=6, T=50) with all values distinct, so permutations are identifiable.
    let x = DataArray(shape: [6, 50], values: (0..<300).map { Float($0) + 1 })

    func rows(_ a: DataArray) -> [[Float]] {
        (0..<a.shape[0]).map { Array(a.values[$0 * a.shape[1]..<($0 + 1) * a.shape[1]]) }
    }
    func columns(_ a: DataArray) -> [[Float]] { (0..<a.shape[1]).map { t in (0..<a.shape[0]).map { a[$0, t] } } }

    func testProbabilityZeroIsIdentity() {
        var config = InertialAugmentations.utdMHAD
        config.jittering?.probability = 0
        config.scaling?.probability = 0
        config.permutation?.probability = 0
        config.channelShuffle?.probability = 0
        config.signFlip = .init(probability: 0)
        var rng = SeededRNG(seed: 1)
        for _ in 0..<20 { XCTAssertEqual(config.apply(x, rng: &rng), x) }
        XCTAssertEqual(InertialAugmentations.none.apply(x, rng: &rng), x)
    }

    func testSeededReproducibility() {
        for semantics in InertialAugmentationSemantics.allCases {
            var config = InertialAugmentations.utdMHAD
            config.semantics = semantics
            config.signFlip = .init(probability: 0.75)
            var a = SeededRNG(seed: 42)
            var b = SeededRNG(seed: 42)
            var c = SeededRNG(seed: 43)
            let ya = config.apply(x, rng: &a)
            let yb = config.apply(x, rng: &b)
            let yc = config.apply(x, rng: &c)
            XCTAssertEqual(ya, yb)
            XCTAssertNotEqual(ya, yc)
            XCTAssertEqual(ya.shape, x.shape)
        }
    }

    func testReferenceChannelShufflePermutesTimeSteps() {
        var rng = SeededRNG(seed: 3)
        let y = InertialAugmentations(channelShuffle: .init(probability: 1)).apply(x, rng: &rng)
        XCTAssertEqual(y.shape, [6, 50])
        XCTAssertNotEqual(y, x)
        // Every output column is an input column (same permutation for all channels), each used once.
        XCTAssertEqual(Set(columns(y).map { $0.description }), Set(columns(x).map { $0.description }))
        XCTAssertEqual(rows(y).map { Set($0) }, rows(x).map { Set($0) }) // each channel keeps its own values
    }

    func testAsNamedChannelShufflePermutesChannels() {
        var rng = SeededRNG(seed: 3)
        let y = InertialAugmentations(semantics: .asNamed, channelShuffle: .init(probability: 1)).apply(x, rng: &rng)
        XCTAssertNotEqual(y, x)
        XCTAssertEqual(Set(rows(y).map { $0.description }), Set(rows(x).map { $0.description })) // whole rows move
    }

    func testReferencePermutationSwapsChannelBlocksOnUTD() {
        // UTD: maxSegments 3 → k ∈ {1, 2}; k = 2 splits 6 channels into [0,1,2] and [3,4,5].
        var rng = SeededRNG(seed: 9)
        var sawSwap = false
        var sawIdentity = false
        for _ in 0..<40 {
            let y = InertialAugmentations.permuteSegments(x, axis: 0, maxSegments: 3, rng: &rng)
            let r = rows(y)
            let orig = rows(x)
            if r == orig {
                sawIdentity = true
            } else {
                XCTAssertEqual(r, Array(orig[3...] + orig[..<3])) // acc and gyro blocks swapped
                sawSwap = true
            }
        }
        XCTAssertTrue(sawSwap && sawIdentity)
    }

    func testAsNamedPermutationMovesTimeSegments() {
        var rng = SeededRNG(seed: 5)
        for _ in 0..<20 {
            let y = InertialAugmentations.permuteSegments(x, axis: 1, maxSegments: 5, rng: &rng)
            // Rows keep their channel; within a row, values are contiguous runs of the original.
            for (ry, rx) in zip(rows(y), rows(x)) {
                XCTAssertEqual(ry.sorted(), rx)
                let breaks = zip(ry, ry.dropFirst()).filter { $1 != $0 + 1 }.count
                XCTAssertLessThanOrEqual(breaks, 3) // at most k − 1 = 3 segment boundaries
            }
        }
    }

    func testScalingAndSignFlipGranularity() {
        var rng = SeededRNG(seed: 11)
        // Per channel: the ratio y / x is constant along each row.
        let perChannel = InertialAugmentations.scalePerChannel(x, sigma: 1, rng: &rng)
        for (ry, rx) in zip(rows(perChannel), rows(x)) {
            let ratios = zip(ry, rx).map { $0 / $1 }
            XCTAssertLessThan((ratios.max()! - ratios.min()!), 1e-4)
        }
        let perElement = InertialAugmentations.scalePerElement(x, sigma: 1, rng: &rng)
        let ratios = zip(perElement.values, x.values).map { $0 / $1 }
        XCTAssertGreaterThan(Set(ratios).count, 250) // one factor per element
        let flipped = InertialAugmentations.flipPerChannel(x, rng: &rng)
        for (ry, rx) in zip(rows(flipped), rows(x)) { XCTAssertTrue(ry == rx || ry == rx.map { -$0 }) }
        let flippedElements = InertialAugmentations.flipPerElement(x, rng: &rng)
        XCTAssertEqual(flippedElements.values.map(abs), x.values)
        let negatives = flippedElements.values.filter { $0 < 0 }.count
        XCTAssertTrue((100...200).contains(negatives), "\(negatives) of 300 flipped")
    }

    func testJitterStatistics() {
        var rng = SeededRNG(seed: 2)
        let big = DataArray(zeros: [6, 5000])
        let y = InertialAugmentations.jitter(big, sigma: 1, rng: &rng)
        let mean = y.values.reduce(0, +) / Float(y.count)
        let variance = y.values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(y.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }
}
