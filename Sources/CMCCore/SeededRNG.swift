import Foundation

/// A small, fast, seedable random number generator (xoshiro256**), seeded through SplitMix64.
///
/// Every random choice in cmc (weight initialisation, dropout masks, augmentations, shuffling, label
/// fractions) draws from one of these, so a run is reproducible from its seed. It is a value type:
/// copying it forks the stream, which is how independent workers get their own sequences.
public struct SeededRNG: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// A cached second normal deviate from the Box–Muller pair.
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm)
        s1 = splitMix(&sm)
        s2 = splitMix(&sm)
        s3 = splitMix(&sm)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Fills `buffer` with the next `buffer.count` outputs of `next()`, in order: the same stream, without
    /// a call per value for callers in other modules (dropout draws millions per training step).
    public mutating func fill(_ buffer: UnsafeMutableBufferPointer<UInt64>) {
        for i in buffer.indices { buffer[i] = next() }
    }

    /// The generator's full state, for checkpoints: resuming from it continues the same stream.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
        spareNormal = nil
    }

    /// A child generator whose stream is independent of this one's continuation.
    public mutating func fork() -> SeededRNG { SeededRNG(seed: next()) }

    /// Uniform in [0, 1) with 53 bits of precision.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// Uniform integer in `range` (half-open).
    public mutating func int(in range: Range<Int>) -> Int { Int.random(in: range, using: &self) }

    /// Standard normal deviate (Box–Muller).
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = uniform()
        while u1 <= .leastNormalMagnitude { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = r * sin(theta)
        return r * cos(theta)
    }

    /// Normal deviate with the given mean and standard deviation.
    public mutating func normal(mean: Double, std: Double) -> Double { mean + std * normal() }

    /// Bernoulli trial: true with probability `p`.
    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        p.shuffle(using: &self)
        return p
    }
}
