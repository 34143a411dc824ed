import CMCCore

/// A seeded, structure-unaware mutator in the spirit of libFuzzer's: bit flips, byte insertions and
/// deletions, splices with another corpus input, and overwrites with the boundary values that break
/// length and count fields (0, 1, 0x7FFFFFFF, 0xFFFFFFFF, huge u64 …) in either byte order. The
/// `SeededRNG` makes every run of the suite try the same inputs, so a failure reproduces exactly.
struct Mutator {
    var rng: SeededRNG

    static let boundary32: [UInt32] = [
        0, 1, 2, 4, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF,
    ]
    static let boundary64: [UInt64] = [0, 1, 1 << 31, 1 << 32, 1 << 62, 0x7FFF_FFFF_FFFF_FFFF, 1 << 63, .max, .max - 7]
    /// Replacements for a number inside JSON text (and a few non-numbers in number position).
    static let jsonTokens: [String] = [
        "0", "1", "-1", "-0", "2", "1.5", "1e308", "-1e308", "1e-320", "1e400", "2147483647",
        "2147483648", "4294967295", "4294967296", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "null", "true", "\"\"", "[]", "{}", "[0]", "\"x\"",
    ]

    init(seed: UInt64) { rng = SeededRNG(seed: seed) }

    /// One to four stacked mutations of `input`; `other` is the splice partner.
    mutating func mutate(_ input: [UInt8], splicingWith other: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0...rng.int(in: 0..<4) { mutateOnce(&b, other) }
        return b
    }

    private mutating func position(_ b: [UInt8], room: Int = 1) -> Int? {
        b.count >= room ? rng.int(in: 0..<(b.count - room + 1)) : nil
    }

    private mutating func overwrite(_ b: inout [UInt8], _ value: UInt64, bytes: Int) {
        guard let at = position(b, room: bytes) else { return }
        let bigEndian = rng.bernoulli(0.3)
        for i in 0..<bytes {
            let shift = UInt64(8 * (bigEndian ? bytes - 1 - i : i))
            b[at + i] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    private mutating func mutateOnce(_ b: inout [UInt8], _ other: [UInt8]) {
        switch rng.int(in: 0..<12) {
        case 0: // flip one bit
            if let at = position(b) { b[at] ^= 1 << UInt8(rng.int(in: 0..<8)) }
        case 1: // random byte
            if let at = position(b) { b[at] = UInt8(truncatingIfNeeded: rng.next()) }
        case 2: // insert 1…16 random bytes
            let at = rng.int(in: 0..<(b.count + 1))
            b.insert(contentsOf: (0..<rng.int(in: 1..<17)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 3: // delete a range
            if let at = position(b) { b.removeSubrange(at..<min(b.count, at + rng.int(in: 1..<33))) }
        case 4: // duplicate a range in place
            if let at = position(b) {
                let chunk = b[at..<min(b.count, at + rng.int(in: 1..<65))]
                b.insert(contentsOf: chunk, at: rng.int(in: 0..<(b.count + 1)))
            }
        case 5: // splice: our head, the other input's tail
            if !other.isEmpty {
                b = Array(b.prefix(rng.int(in: 0..<(b.count + 1)))) + other.suffix(rng.int(in: 1..<(other.count + 1)))
            }
        case 6: // boundary u32 (length and count fields)
            overwrite(&b, UInt64(Mutator.boundary32[rng.int(in: 0..<Mutator.boundary32.count)]), bytes: 4)
        case 7: // boundary u64
            overwrite(&b, Mutator.boundary64[rng.int(in: 0..<Mutator.boundary64.count)], bytes: 8)
        case 8: // boundary u8 / u16
            overwrite(
                &b, UInt64(Mutator.boundary32[rng.int(in: 0..<Mutator.boundary32.count)]),
                bytes: rng.bernoulli(0.5) ? 1 : 2)
        case 9: // nudge an aligned little-endian u32 (a length field off by a little)
            if let at = position(b, room: 4) {
                let a = at & ~3
                var v = UInt32(b[a]) | UInt32(b[a + 1]) << 8 | UInt32(b[a + 2]) << 16 | UInt32(b[a + 3]) << 24
                v = v &+ UInt32(bitPattern: Int32(rng.int(in: -16..<17)))
                for i in 0..<4 { b[a + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
            }
        case 10: // replace a decimal number (JSON text) with a boundary token
            replaceNumber(&b)
        default: // truncate
            b.removeLast(rng.int(in: 0..<(b.count + 1)))
        }
    }

    private mutating func replaceNumber(_ b: inout [UInt8]) {
        let isDigit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        let starts = b.indices.filter { isDigit(b[$0]) && ($0 == 0 || !isDigit(b[$0 - 1])) }
        guard !starts.isEmpty else { return }
        let start = starts[rng.int(in: 0..<starts.count)]
        var end = start
        while end < b.count, isDigit(b[end]) || b[end] == UInt8(ascii: ".") || b[end] == UInt8(ascii: "e") { end += 1 }
        b.replaceSubrange(start..<end, with: Array(Mutator.jsonTokens[rng.int(in: 0..<Mutator.jsonTokens.count)].utf8))
    }
}
