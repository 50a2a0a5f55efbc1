import Coordination
import FoundationEssentials
import FuzzSupport
import Membership
import NIOCore
import Storage
import Wire

/// The binary decoder (Sources/Wire/BinaryDecoder.swift) on every type that crosses the cluster:
/// the arguments and results of the distributed methods (the coordinator's envelopes, SWIM
/// messages, the listing's records) and the values inside them.
///
/// The first byte picks the type, the rest is decoded as it. What decodes must encode, decode again
/// to an equal value and encode to the same bytes. Every value that decodes equals itself: the codec
/// refuses NaN (and the infinities), the one value that does not (Fuzz/findings/messages/;
/// MessageFindingTests).
enum MessageFuzz {
    static let target = FuzzTarget(name: "messages", seeds: seeds) { input in
        guard let selector = input.first else { return }
        let body = ByteBuffer(bytes: input.dropFirst())
        types[Int(selector) % types.count].check(body)
    }

    struct WireType: Sendable {
        let name: String
        let check: @Sendable (ByteBuffer) -> Void
    }

    static func wire<T: Codable & Equatable & SendableMetatype>(_: T.Type) -> WireType {
        WireType(name: "\(T.self)") { roundTrip(T.self, $0) }
    }

    /// In a fixed order: the selector byte of a committed corpus file names its type by position,
    /// so new types go at the end.
    static let types: [WireType] = [
        // CoordinatorEndpoint.deliver, and what an envelope holds.
        wire([Envelope].self), wire(Envelope.self), wire(CoordinationMessage.self), wire(TaskKey.self),
        wire(TaskAssignment.self), wire(TaskOutcome.self), wire(ReplicaWrite.self), wire(WriteAnswer.self),
        wire(SubmitAnswer.self), wire(CancelAnswer.self), wire(AssessmentRecord.self), wire(RecordVersion.self),
        wire(Storage.AgentResult.self),
        // CoordinatorEndpoint.read, readAsOwner and list.
        wire(AssessmentRecord?.self), wire([AssessmentRecord].self), wire([String].self),
        // MembershipEndpoint.deliver and view.
        wire(SWIM.Message.self), wire([SWIM.Member].self), wire(SWIM.Update.self), wire(SWIM.Payload.self),
        wire(MemberID.self), wire(MemberAddress.self), wire(SWIM.MembershipChange.self),
        // StatsEndpoint.stats, Diagnostics.hold, and the transport's own identities.
        wire(Data.self), wire(Int.self), wire(NodeID.self), wire(ActorID.self),
        wire(NodeAddress.self),
        // An assign's tasks with their request once; the summaries of status reads and listings.
        wire(AssignmentBatch.self), wire(AssessmentSummary.self), wire(AssessmentSummary?.self),
        wire([AssessmentSummary].self),
    ]

    /// Messages as nodes send them, each behind the selector of its type.
    @Sendable static func seeds() -> [[UInt8]] {
        let key = TaskKey(assessmentID: "a-7f3c", agent: "compliance", attempt: 1, epoch: 2)
        let version = RecordVersion(epoch: 2, version: 5, replicaSet: ["node-1", "node-2", "node-3"])
        let created = Date(timeIntervalSinceReferenceDate: 786_000_000.25)
        let envelopes: [Envelope] = [
            Envelope(
                from: "node-1",
                message: .submit(
                    requestID: 41, id: "a-7f3c", request: Data(#"{"title":"x"}"#.utf8), idempotencyKey: "k-1",
                    createdAt: created, tenant: "acme")),
            Envelope(from: "node-2", message: .renew(keys: [key], load: 3)),
            Envelope(from: "node-3", message: .claim(id: "a-7f3c", epoch: 3, basis: version)),
            Envelope(from: "node-1", message: .finished(key, .threw("catalog missing"), load: 0)),
            Envelope(from: "node-2", message: .check(ids: ["a-1", "a-2"])),
            Envelope(from: "node-1", message: .cancelAnswer(requestID: 9, .alreadyFinal(id: "a-1"))),
            Envelope(from: "node-3", message: .submitted(requestID: 41, .busy("backlog full"))),
            Envelope(
                from: "node-1",
                message: .assign(
                    AssignmentBatch(
                        owner: "node-1", request: Data([0x01, 0, 0, 0, 1, 0x78]),
                        tasks: [AssignmentBatch.Placed(key: key, inputs: [])]))),
        ]
        let me = MemberID(name: "node-1", host: "127.0.0.1", port: 7101, uid: 0xfeed)
        let peer = MemberID(name: "node-2", host: "127.0.0.1", port: 7102, uid: 0xbeef)
        let member = SWIM.Member(id: peer, status: .up, incarnation: 4, metadata: ["http": "127.0.0.1:8102"])
        let messages = [
            SWIM.Message(
                sender: me, recipient: peer, payload: .ping(sequence: 12), gossip: [SWIM.Update(member: member)]),
            SWIM.Message(sender: me, recipient: nil, payload: .join),
            SWIM.Message(sender: peer, recipient: me, payload: .sync(members: [member], isReply: true)),
            SWIM.Message(sender: peer, recipient: me, payload: .pingRequest(sequence: 3, target: me)),
        ]
        func seed<T: Encodable>(_ type: T.Type, _ value: T) -> [UInt8] {
            let selector = types.firstIndex { $0.name == "\(T.self)" }!
            let buffer = try! BinaryEncoder().encode(value)
            return [UInt8(selector)] + Array(buffer.readableBytesView)
        }
        var seeds = [seed([Envelope].self, envelopes), seed([SWIM.Member].self, [member])]
        seeds += envelopes.map { seed(Envelope.self, $0) }
        seeds += messages.map { seed(SWIM.Message.self, $0) }
        seeds.append(seed(NodeID.self, NodeID(name: "node-1", host: "127.0.0.1", port: 7101, uid: 0xfeed)))
        return seeds
    }

    static func roundTrip<T: Codable & Equatable>(_: T.Type, _ bytes: ByteBuffer) {
        guard let value = try? BinaryDecoder().decode(T.self, from: bytes) else { return }
        let encoded: ByteBuffer
        do {
            encoded = try BinaryEncoder().encode(value)
        } catch {
            fatalError("\(T.self) decodes but does not encode: \(error)")
        }
        let again: T
        do {
            again = try BinaryDecoder().decode(T.self, from: encoded)
        } catch {
            fatalError("\(T.self) does not decode from its own encoding: \(error); \(value)")
        }
        require(again == value, "\(T.self) changes through encoding: \(value) became \(again)")
        let reencoded = try? BinaryEncoder().encode(again)
        require(reencoded == encoded, "\(T.self) encodes differently the second time: \(value)")
    }
}
