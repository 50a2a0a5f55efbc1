/// The namespace of the SWIM failure detector: a pure state machine (`SWIM.Instance`)
/// and the value types it consumes and produces.
package enum SWIM {}

extension SWIM {
    /// A member's status as one node sees it.
    ///
    /// `joining` and `up` are alive; `suspect` is alive until proven otherwise;
    /// `down` and `left` are terminal for that uid (a tombstone).
    package enum Status: String, Codable, Sendable, Hashable, CaseIterable {
        /// Announced itself but has not yet received the cluster's state, so it must not own work.
        case joining
        case up
        /// A probe failed; the member has until its suspicion timeout to refute.
        case suspect
        /// Declared dead; this uid never comes back.
        case down
        /// Left gracefully; this uid never comes back.
        case left

        package var isAlive: Bool { self == .joining || self == .up }
        /// Down or left: the uid is finished and only kept as a tombstone.
        package var isTerminal: Bool { self == .down || self == .left }
    }

    /// What one node believes about one member, as gossiped.
    package struct Member: Hashable, Codable, Sendable {
        package var id: MemberID
        package var status: Status
        /// Raised only by the member itself, to refute a suspicion (or to announce `up` after joining).
        package var incarnation: UInt64
        /// What the member says about itself (a node's HTTP address, say): set when its instance is
        /// created and fixed for its uid, so any copy that has it is as good as any other. Records
        /// another node writes about it (a suspicion, a verdict) may lack it; a view keeps what it
        /// knew (`Instance.replace`). Nil when there is none, one byte on the wire.
        package var metadata: [String: String]?

        package init(id: MemberID, status: Status, incarnation: UInt64, metadata: [String: String]? = nil) {
            self.id = id
            self.status = status
            self.incarnation = incarnation
            self.metadata = metadata
        }

        /// Whether `self` should replace `old` in a view (SWIM's ordering, plus tombstones).
        ///
        /// Terminal states are never replaced. `left` comes from the member itself, so it wins over
        /// anything; `down` wins unless the member has since refuted with a higher incarnation (a
        /// verdict on a stale suspicion must not bury a member that already cleared itself).
        /// Otherwise a higher incarnation wins; at the same incarnation a suspicion wins over an alive
        /// claim (only the member can refute it, by raising its incarnation), and `up` over `joining`.
        package func supersedes(_ old: Member) -> Bool {
            if old.status.isTerminal { return false }
            if status == .left { return true }
            if status == .down { return incarnation >= old.incarnation }
            switch (status, old.status) {
            case (.suspect, .suspect):
                return incarnation > old.incarnation
            case (.suspect, _):
                return incarnation >= old.incarnation
            case (_, .suspect):
                return incarnation > old.incarnation
            default:
                if incarnation != old.incarnation { return incarnation > old.incarnation }
                return status == .up && old.status == .joining
            }
        }
    }

    /// A change of a member's status in this node's view; the coordination layer consumes these.
    package struct MembershipChange: Hashable, Codable, Sendable, CustomStringConvertible {
        package var member: MemberID
        /// `nil` when the member was not in the view before.
        package var previous: Status?
        package var status: Status
        package var incarnation: UInt64

        package init(member: MemberID, previous: Status?, status: Status, incarnation: UInt64) {
            self.member = member
            self.previous = previous
            self.status = status
            self.incarnation = incarnation
        }

        package var description: String {
            "\(member): \(previous?.rawValue ?? "new") -> \(status.rawValue) (inc \(incarnation))"
        }
    }
}
