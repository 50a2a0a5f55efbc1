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
    /// Cluster size when the suspicion began; fixed so the deadline only ever moves earlier.
    var members: Int
    var deadline: Duration

    init(
      incarnation: UInt64, started: Duration, reporter: MemberID, members: Int,
      settings: SWIM.Settings
    ) {
      self.incarnation = incarnation
      self.started = started
      self.reporter = reporter
      self.members = members
      self.deadline = started + settings.suspicionTimeout(members: members, confirmations: 0)
    }

    /// Counts `reporter` if it is new and confirmations are still useful; returns whether it counted.
    mutating func confirm(_ reporter: MemberID, settings: SWIM.Settings) -> Bool {
      guard reporter != self.reporter,
        confirmers.count < settings.confirmationsExpected(members: members),
        confirmers.insert(reporter).inserted
      else { return false }
      deadline =
        started + settings.suspicionTimeout(members: members, confirmations: confirmers.count)
      return true
    }
  }

  mutating func fireSuspicionTimers(at now: Duration) {
    let due = suspicions.filter { $0.value.deadline <= now }.keys.sorted()
    for id in due {
      guard let suspicion = suspicions.removeValue(forKey: id),
        let member = records[id]?.member,
        member.status == .suspect, member.incarnation == suspicion.incarnation
      else { continue }
      let dead = SWIM.Member(id: id, status: .down, incarnation: member.incarnation)
      apply(SWIM.Update(member: dead), from: myself, at: now)
    }
  }
}
