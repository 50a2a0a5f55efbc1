import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// SplitMix64: small, fast, and the same sequence on every platform for a seed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1), built from the top 53 bits so it never returns 0.
    mutating func unit() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// Standard normal by Box–Muller.
    mutating func normal() -> Double { sqrt(-2 * log(unit())) * cos(2 * Double.pi * unit()) }

    /// The seed for a request: FNV-1a over its canonical JSON, so equal requests
    /// simulate identically and any change to the content changes the draw.
    static func seed(for request: AssessmentRequest) -> UInt64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(request)) ?? Data()
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
