/// The only source of randomness of the membership protocol, so that a simulation
/// seeded with the same value replays the same choices.
///
/// SplitMix64: tiny, fast, and statistically good enough for choosing probe targets;
/// nothing here needs unpredictability against an adversary.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for a sub-component, so that adding draws in one place does not
    /// shift every later draw elsewhere.
    package mutating func split() -> SeededRandom {
        SeededRandom(seed: next())
    }

    /// A uniformly distributed value in `0..<1`.
    package mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
