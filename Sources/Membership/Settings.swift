#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension SWIM {
    /// Protocol parameters. The defaults are chosen for a LAN cluster of a few to a few thousand
    /// nodes; `docs/membership.md` gives the reasoning behind each value.
    package struct Settings: Hashable, Sendable {
        /// How often this node probes one member (scaled up by the local health multiplier).
        package var probeInterval: Duration = .seconds(1)
        /// How long a direct ping waits for its ack before asking others to probe indirectly.
        package var pingTimeout: Duration = .milliseconds(300)
        /// How many members are asked to probe a silent member on this node's behalf (SWIM's k).
        package var indirectProbeCount: Int = 3
        /// An intermediary sends a nack after this fraction of its ping timeout, so that the
        /// nack arrives before the requester's probe period ends.
        package var nackTimeoutFraction: Double = 0.8
        /// Lifeguard: the most a slow node may stretch its own probe interval and timeouts
        /// (the multiplier is `1 + score`, with the score in `0 ..< maxLocalHealthMultiplier`).
        package var maxLocalHealthMultiplier: Int = 8
        /// Minimum suspicion timeout, in probe intervals, before scaling by `max(1, log10(n))`.
        package var suspicionMinMultiplier: Double = 1.5
        /// Maximum suspicion timeout, as a multiple of the minimum; a lone suspicion waits this long.
        package var suspicionMaxMultiplier: Double = 6
        /// Independent confirmations that shrink a suspicion to its minimum (capped at `n - 2`).
        package var expectedConfirmations: Int = 2
        /// How many members, on average, probe a member at once when they hear it is suspected,
        /// to confirm or refute the suspicion independently.
        package var suspicionCheckers: Int = 5
        /// How often pending gossip is pushed to `gossipFanout` random members besides piggybacking.
        package var gossipInterval: Duration = .milliseconds(200)
        /// How many members each gossip round is sent to.
        package var gossipFanout: Int = 3
        /// Each update is sent `retransmitMultiplier * ceil(log10(n + 1))` times by each node.
        package var retransmitMultiplier: Int = 4
        /// At most this many updates ride on one message, so a message stays small.
        package var maxPiggybackedUpdates: Int = 12
        /// Full-state exchange with one random member; stretched above 32 members (see `syncInterval(members:)`).
        package var syncInterval: Duration = .seconds(30)
        /// How often a node whose view counts alive no more than half the nodes it knows offers a
        /// sync to one of the others (`Instance.recontactRound`): a side left alone by a partition
        /// finds the rest as soon as it heals, not at the next `syncInterval`.
        package var isolatedRecontactInterval: Duration = .seconds(1)
        /// How often a joining node repeats its join to the seeds that have not answered.
        package var joinRetryInterval: Duration = .seconds(1)
        /// How long a rejoining node joins through its contact alone before its joins also go to
        /// the members its previous uid counted alive (`Instance.joinFallback`).
        package var joinFallbackDelay: Duration = .seconds(3)
        /// How long a node that is its own seed waits for other seeds before forming a cluster alone.
        package var joinTimeout: Duration = .seconds(3)
        /// How long a `down` or `left` uid is remembered, to refuse stale gossip that would resurrect it.
        package var tombstoneRetention: Duration = .seconds(4 * 3600)

        package init() {}

        /// Memberlist's push-pull scaling: constant up to 32 members, then one more interval per
        /// doubling, so the bytes of full syncs per node grow like `n / log n` instead of `n`.
        package func syncInterval(members n: Int) -> Duration {
            guard n > 32 else { return syncInterval }
            let multiplier = (log2(Double(n)) - 5).rounded(.up) + 1
            return syncInterval * multiplier
        }

        /// How many times each node sends one update.
        package func retransmitLimit(members n: Int) -> Int {
            retransmitMultiplier * Int(log10(Double(n + 1)).rounded(.up))
        }

        /// The shortest suspicion timeout, reached once enough independent confirmations arrive.
        package func suspicionMinimum(members n: Int) -> Duration {
            probeInterval * (suspicionMinMultiplier * max(1, log10(Double(max(1, n)))))
        }

        package func suspicionMaximum(members n: Int) -> Duration {
            suspicionMinimum(members: n) * suspicionMaxMultiplier
        }

        /// Confirmations a suspicion waits for; fewer in tiny clusters that cannot supply them.
        package func confirmationsExpected(members n: Int) -> Int {
            max(0, min(expectedConfirmations, n - 2))
        }

        /// Lifeguard's suspicion timeout (memberlist's formula): from the maximum down to the
        /// minimum, logarithmically in the number of independent confirmations.
        package func suspicionTimeout(members n: Int, confirmations c: Int) -> Duration {
            let low = suspicionMinimum(members: n)
            let k = confirmationsExpected(members: n)
            guard k > 0 else { return low }
            let high = suspicionMaximum(members: n)
            let fraction = log(Double(c) + 1) / log(Double(k) + 1)
            let raw = high - (high - low) * fraction
            return max(raw, low)
        }

        /// The time by which every survivor has declared a crashed member `down`, promised when no
        /// message is lost and no node is slow (local health multiplier 1).
        ///
        /// Shuffled round-robin means every survivor probes every member at least once in any
        /// `2 (n - 1)` probe intervals; its probe fails at most one interval later; its own suspicion
        /// then expires after at most the maximum timeout, plus one more probe if it first heard the
        /// suspicion as a rumour and checks before burying. Dissemination only makes it sooner.
        package func detectionBound(members n: Int) -> Duration {
            probeInterval * (2 * (n - 1) + 2) + suspicionMaximum(members: n)
        }
    }
}
