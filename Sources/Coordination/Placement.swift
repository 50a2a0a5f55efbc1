/// Rendezvous (highest-random-weight) hashing: every node ranks the members for an assessment the
/// same way without talking, and losing a member moves only the assessments it held.
package enum Placement {
    /// `members` ranked for `id`, best first. Ties (a 64-bit collision) break by name, so the order is
    /// total and every node computes the same one.
    package static func rank(_ id: String, over members: some Collection<String>) -> [String] {
        members
            .map { (member: $0, weight: weight(id, $0)) }
            .sorted { ($0.weight, $0.member) > ($1.weight, $1.member) }
            .map(\.member)
    }

    /// The first of `rank(id, over: members)`, without sorting the rest.
    package static func owner(_ id: String, over members: some Collection<String>) -> String? {
        members.max { (weight(id, $0), $0) < (weight(id, $1), $1) }
    }

    /// The first `min(factor, members.count)` of the ranking; the first of them is the owner.
    package static func replicaSet(_ id: String, over members: some Collection<String>, factor: Int) -> [String] {
        Array(rank(id, over: members).prefix(max(1, factor)))
    }

    /// FNV-1a over id, a separator and the member name, then a SplitMix finaliser: stable across
    /// processes and releases (Swift's `Hasher` is seeded per process, so it cannot be used here).
    static func weight(_ id: String, _ member: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01B3
        for byte in member.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 31)
    }
}
