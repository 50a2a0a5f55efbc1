import Membership
import Testing

/// A member's metadata (docs/membership.md, "Metadata"): announced by the member itself, carried by
/// its own records, kept by every view whatever records others write about it.
@Suite struct MetadataTests {
    static let a = MemberID(name: "node-1", host: "10.0.0.1", port: 7100, uid: 0xA)
    static let b = MemberID(name: "node-2", host: "10.0.0.2", port: 7100, uid: 0xB)
    static let e = MemberID(name: "node-5", host: "10.0.0.5", port: 7100, uid: 0xE)

    static func sends(_ directives: [SWIM.Directive]) -> [SWIM.Message] {
        directives.compactMap {
            if case .send(let message, _) = $0 { return message }
            return nil
        }
    }

    /// `a` in a formed cluster of a, b and e that knows no metadata yet.
    static func formed() -> SWIM.Instance {
        var instance = SWIM.Instance(myself: a, seeds: [], randomSeed: 7, formedWith: [a, b, e])
        _ = instance.handle(.start, at: .zero)
        return instance
    }

    static func gossip(_ member: SWIM.Member, from sender: MemberID) -> SWIM.Event {
        .received(SWIM.Message(sender: sender, recipient: a, payload: .gossip, gossip: [SWIM.Update(member: member)]))
    }

    @Test func aJoinerAndItsSeedLearnEachOthersMetadataFromTheJoin() {
        var joiner = SWIM.Instance(myself: Self.a, seeds: [Self.b.address], randomSeed: 1, metadata: ["http": "h1:1"])
        var seed = SWIM.Instance(myself: Self.b, seeds: [], randomSeed: 2, metadata: ["http": "h2:2"])
        _ = seed.handle(.start, at: .zero)
        let join = Self.sends(joiner.handle(.start, at: .zero))
        #expect(join.count == 1)
        let reply = Self.sends(seed.handle(.received(join[0]), at: .milliseconds(1)))
        #expect(seed.member(Self.a)?.metadata == ["http": "h1:1"])
        for message in reply where message.recipient == Self.a {
            _ = joiner.handle(.received(message), at: .milliseconds(2))
        }
        #expect(joiner.status == .up)
        #expect(joiner.member(Self.b)?.metadata == ["http": "h2:2"])
        #expect(joiner.member(Self.a)?.metadata == ["http": "h1:1"])
    }

    @Test func anInstanceWithoutMetadataSendsNone() {
        var instance = SWIM.Instance(myself: Self.a, seeds: [Self.b.address], randomSeed: 1, metadata: [:])
        let join = Self.sends(instance.handle(.start, at: .zero))
        #expect(instance.metadata == nil)
        #expect(join.first?.gossip.first?.member.metadata == nil)
    }

    @Test func recordsOthersWriteWithoutMetadataDoNotEraseIt() {
        var instance = Self.formed()
        let announced = SWIM.Member(id: Self.e, status: .up, incarnation: 1, metadata: ["http": "h5:5"])
        _ = instance.handle(Self.gossip(announced, from: Self.e), at: .milliseconds(1))
        #expect(instance.member(Self.e)?.metadata == ["http": "h5:5"])

        let suspicion = SWIM.Member(id: Self.e, status: .suspect, incarnation: 1)
        _ = instance.handle(Self.gossip(suspicion, from: Self.b), at: .milliseconds(2))
        #expect(instance.member(Self.e)?.status == .suspect)
        #expect(instance.member(Self.e)?.metadata == ["http": "h5:5"])

        let verdict = SWIM.Member(id: Self.e, status: .down, incarnation: 1)
        _ = instance.handle(Self.gossip(verdict, from: Self.b), at: .milliseconds(3))
        #expect(instance.member(Self.e)?.status == .down)
        #expect(instance.member(Self.e)?.metadata == ["http": "h5:5"])
    }

    @Test func aCopyThatChangesNothingElseStillFillsInMissingMetadata() {
        var instance = Self.formed()
        #expect(instance.member(Self.e)?.metadata == nil)
        // The same status and incarnation the view holds (up at 0), as a full sync carries it.
        let entry = SWIM.Member(id: Self.e, status: .up, incarnation: 0, metadata: ["http": "h5:5"])
        let sync = SWIM.Message(sender: Self.b, recipient: Self.a, payload: .sync(members: [entry], isReply: true))
        let out = instance.handle(.received(sync), at: .milliseconds(1))
        #expect(instance.member(Self.e)?.metadata == ["http": "h5:5"])
        #expect(!out.contains { if case .changed = $0 { true } else { false } })
    }

    @Test func theSizeEstimateCountsTheMetadataAsTheCodecWritesIt() {
        let bare = SWIM.Message(
            sender: Self.a, recipient: Self.b, payload: .gossip,
            gossip: [SWIM.Update(member: SWIM.Member(id: Self.e, status: .up, incarnation: 0))])
        var withMetadata = bare
        withMetadata.gossip[0].member.metadata = ["http": "127.0.0.1:8101"]
        // A count, then the key and the value each length-prefixed; the presence byte is in both.
        #expect(withMetadata.estimatedEncodedSize - bare.estimatedEncodedSize == 4 + (4 + 4) + (4 + 14))
    }
}
