extension SWIM {
    /// One piece of gossip: a member's status, and for a suspicion who raised it, so that
    /// independent suspicions can be counted as confirmations.
    package struct Update: Hashable, Codable, Sendable {
        package var member: Member
        /// The member that suspects `member`; set only for `suspect`.
        package var reporter: MemberID?

        package init(member: Member, reporter: MemberID? = nil) {
            self.member = member
            self.reporter = reporter
        }
    }

    /// What a message asks of its recipient. Piggybacked gossip travels beside it in `Message`.
    package enum Payload: Hashable, Codable, Sendable {
        /// A direct probe; answered by `ack` with the same sequence number.
        case ping(sequence: UInt64)
        /// Ask the recipient to probe `target` on the sender's behalf (SWIM's indirect probe).
        case pingRequest(sequence: UInt64, target: MemberID)
        /// `target` answered the probe numbered `sequence` (directly, or relayed by an intermediary).
        case ack(sequence: UInt64, target: MemberID)
        /// An intermediary could not reach the target in time (Lifeguard): evidence that the
        /// requester's own network and scheduling work, which keeps its local health honest.
        case nack(sequence: UInt64)
        /// A new member asks a seed for the cluster's state.
        case join
        /// The sender's whole view, tombstones included; a non-reply asks for the recipient's in return.
        case sync(members: [Member], isReply: Bool)
        /// Nothing but piggybacked gossip.
        case gossip
        /// The recipient's uid is a tombstone in the sender's view: it must rejoin under a new uid.
        case declaredDown
    }

    /// A message between two instances. The shell sends it to `recipient`'s address, or, when
    /// `recipient` is nil (joining, or re-contacting a seed), to whoever runs at the address.
    package struct Message: Hashable, Codable, Sendable {
        package var sender: MemberID
        /// The intended incarnation; a process with another uid at that address drops the message,
        /// so that a restarted node never answers for its predecessor.
        package var recipient: MemberID?
        package var payload: Payload
        package var gossip: [Update]

        package init(sender: MemberID, recipient: MemberID?, payload: Payload, gossip: [Update] = []) {
            self.sender = sender
            self.recipient = recipient
            self.payload = payload
            self.gossip = gossip
        }
    }
}

/// Estimates of the encoded sizes, for byte accounting without running an encoder on the hot path.
///
/// The model is the cluster transport's positional binary Codable (`Wire.BinaryEncoder`): struct
/// fields in order without keys, integers fixed-width (`Int` as 8 bytes), strings and arrays with
/// a 4-byte length, a presence byte before an optional, a dictionary as its count and its
/// length-prefixed keys each followed by its value, and an enum case with associated values
/// (every `Payload` case, given how Swift synthesizes its coding) as its name, length-prefixed.
/// `Status` has a raw `String` value and travels as that string.
extension SWIM.Message {
    package var estimatedEncodedSize: Int {
        Self.size(of: sender) + 1 + (recipient.map(Self.size(of:)) ?? 0) + payloadSize
            + 4 + gossip.reduce(0) { $0 + Self.size(of: $1) }
    }

    private var payloadSize: Int {
        switch payload {
        case .ping: return Self.caseName("ping") + 8
        case .nack: return Self.caseName("nack") + 8
        case .pingRequest(_, let target): return Self.caseName("pingRequest") + 8 + Self.size(of: target)
        case .ack(_, let target): return Self.caseName("ack") + 8 + Self.size(of: target)
        case .join: return Self.caseName("join")
        case .gossip: return Self.caseName("gossip")
        case .declaredDown: return Self.caseName("declaredDown")
        case .sync(let members, _):
            return Self.caseName("sync") + 4 + members.reduce(0) { $0 + Self.size(of: $1) } + 1
        }
    }

    private static func caseName(_ name: String) -> Int {
        4 + name.utf8.count
    }

    static func size(of id: MemberID) -> Int {
        4 + id.address.name.utf8.count + 4 + id.address.host.utf8.count + 8 + 8
    }

    static func size(of member: SWIM.Member) -> Int {
        size(of: member.id) + 4 + member.status.rawValue.utf8.count + 8 + 1
            + (member.metadata.map { 4 + $0.reduce(0) { $0 + 4 + $1.key.utf8.count + 4 + $1.value.utf8.count } } ?? 0)
    }

    static func size(of update: SWIM.Update) -> Int {
        size(of: update.member) + 1 + (update.reporter.map(size(of:)) ?? 0)
    }
}
