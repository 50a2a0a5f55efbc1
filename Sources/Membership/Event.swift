extension SWIM {
    /// What the shell (or the simulator) feeds into an instance, together with the current time.
    package enum Event: Hashable, Sendable {
        /// Begin: join through the seeds, or form a cluster when this node is its own only seed.
        case start
        /// Nothing happened but time passed; the shell calls this at `nextWakeUp`.
        /// Every event also fires the timers that are due, so an early or late tick is harmless.
        case tick
        /// A message from another instance arrived.
        case received(Message)
        /// The transport lost (or could not open) its connection to this member, or calls to it went
        /// unanswered past their deadline. Not proof of death:
        /// the instance probes the member out of turn, through others too, and suspects it only if
        /// that fails. A SIGKILLed process closes its sockets at once, so this is what makes real
        /// crashes fast to detect without making a flaky link fatal.
        case peerUnreachable(MemberID)
        /// The member's address refused a connection: its kernel says no process listens there, so
        /// this incarnation is gone and can neither answer nor refute. Unlike a timeout, a refusal
        /// cannot come from a slow node or a cut link, so the member is declared down at once.
        case peerRefused(MemberID)
        /// Leave gracefully: tell every member, then stop.
        case leave
    }

    /// What an instance asks of its shell.
    package enum Directive: Hashable, Sendable {
        /// Send `message` to the node at `address` (the intended uid is `message.recipient`).
        case send(Message, to: MemberAddress)
        /// This node's view of a member changed (including this node's own status).
        case changed(MembershipChange)
        /// This uid has been declared down by the cluster and can never come back. The shell must
        /// start a new instance under a new uid whose only seed is `contact` (a member of the view
        /// that prevailed): seeds on the losing side of a split would hand it the losing view.
        case rejoin(contact: MemberAddress)
    }
}
