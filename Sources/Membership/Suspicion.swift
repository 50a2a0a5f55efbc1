extension SWIM.Instance {
    /// One suspected member's countdown (Lifeguard's local-health-aware suspicion).
    ///
    /// The timeout starts at the maximum and falls towards the minimum as other members
    /// independently report the same suspicion: one node's bad link waits long, a real crash
    /// that everybody sees is declared quickly.
    struct Suspicion: Sendable {
        var incarnation: UInt64
        var started: Duration
        var reporter: MemberID
        /// Independent reporters besides the first; a set because the same report arrives many times.
        var confirmers: Set<MemberID> = []
        /// Whether this node's own probe failed too. A `down` verdict is final (tombstones), so a
        /// node only pronounces it on evidence of its own, not on a rumour whose refutation it may
        /// simply have missed.
        var verified: Bool
        /// A last probe is under way because the term ran out without enough confirmations.
        var checking = false
        /// That last probe failed too.
        var checked = false
        /// Cluster size when the suspicion began; fixed so the deadline only ever moves earlier.
        var members: Int
        var deadline: Duration

        init(
            incarnation: UInt64, started: Duration, reporter: MemberID, verified: Bool, members: Int,
            settings: SWIM.Settings
        ) {
            self.incarnation = incarnation
            self.started = started
            self.reporter = reporter
            self.verified = verified
            self.members = members
            self.deadline = started + settings.suspicionTimeout(members: members, confirmations: 0)
        }

        /// Counts `reporter` if it is new and confirmations are still useful; returns whether it
        /// counted. `isSelf` marks this node's own failed probe, which verifies the suspicion.
        mutating func confirm(_ reporter: MemberID, isSelf: Bool, settings: SWIM.Settings) -> Bool {
            if isSelf {
                verified = true
                if checking { checked = true }
            }
            guard reporter != self.reporter,
                confirmers.count < settings.confirmationsExpected(members: members),
                confirmers.insert(reporter).inserted
            else { return false }
            deadline = started + settings.suspicionTimeout(members: members, confirmations: confirmers.count)
            return true
        }

        /// Starts a lone suspicion's full term again from `now`.
        mutating func restart(at now: Duration, settings: SWIM.Settings) {
            started = now
            confirmers = []
            checking = false
            checked = false
            deadline = now + settings.suspicionTimeout(members: members, confirmations: 0)
        }
    }

    mutating func fireSuspicionTimers(at now: Duration) {
        let due = suspicions.filter { $0.value.deadline <= now }.keys.sorted()
        for id in due {
            guard var suspicion = suspicions[id], let member = records[id]?.member,
                member.status == .suspect, member.incarnation == suspicion.incarnation
            else {
                suspicions[id] = nil
                continue
            }
            // Bury on full evidence: this node's own failed probe plus the expected independent
            // confirmations. A term that ran out short of that is more likely this node's own
            // lost messages (a refutation it never heard) than a crash nobody else noticed, so it
            // checks once more, with a probe that carries the suspicion; an ack restarts the term.
            let confirmed = suspicion.confirmers.count >= settings.confirmationsExpected(members: suspicion.members)
            if suspicion.checked || (suspicion.verified && confirmed) {
                suspicions[id] = nil
                let dead = SWIM.Member(id: id, status: .down, incarnation: member.incarnation)
                apply(SWIM.Update(member: dead), from: myself, at: now)
                continue
            }
            startProbe(of: id, at: now)
            suspicion.checking = true
            if let probe = probes.values.first(where: { $0.target == id }) {
                suspicion.deadline = probe.periodEnd
            }
            suspicions[id] = suspicion
        }
    }
}
