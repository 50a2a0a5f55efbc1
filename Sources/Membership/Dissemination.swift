extension SWIM {
    /// Updates waiting to be gossiped, each sent a bounded number of times.
    ///
    /// Only the newest update per member is kept: an older one is obsolete the moment a newer
    /// one exists. The least-sent updates go first, so a fresh change overtakes old ones.
    /// Entries live in an array (not a dictionary) so that the choice never depends on hashing
    /// order, which differs between processes and would break seed replay.
    struct Dissemination: Sendable {
        private struct Entry: Sendable {
            var update: Update
            var transmissions: Int
            var order: UInt64
        }

        private var entries: [Entry] = []
        private var nextOrder: UInt64 = 0

        var isEmpty: Bool { entries.isEmpty }

        mutating func enqueue(_ update: Update) {
            entries.removeAll { $0.update.member.id == update.member.id }
            entries.append(Entry(update: update, transmissions: 0, order: nextOrder))
            nextOrder &+= 1
        }

        /// Takes up to `limit` updates for one message and counts the transmission; updates sent
        /// `retransmitLimit` times are dropped.
        mutating func take(limit: Int, retransmitLimit: Int) -> [Update] {
            guard limit > 0, !entries.isEmpty else { return [] }
            var picked = Array(entries.indices)
            if picked.count > limit {
                // Fewest transmissions first; among equals, the newest.
                picked.sort { a, b in
                    let (x, y) = (entries[a], entries[b])
                    return x.transmissions != y.transmissions ? x.transmissions < y.transmissions : x.order > y.order
                }
                picked.removeLast(picked.count - limit)
            }
            var result: [Update] = []
            result.reserveCapacity(picked.count)
            for index in picked {
                result.append(entries[index].update)
                entries[index].transmissions += 1
            }
            entries.removeAll { $0.transmissions >= retransmitLimit }
            return result
        }
    }
}
