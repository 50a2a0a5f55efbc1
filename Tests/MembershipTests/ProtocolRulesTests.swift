import Foundation
import Membership
import Testing

private let x = MemberID(name: "node-9", host: "10.0.0.9", port: 7100, uid: 0x99)
private let reporter = MemberID(name: "node-8", host: "10.0.0.8", port: 7100, uid: 0x88)

private func member(_ status: SWIM.Status, _ incarnation: UInt64) -> SWIM.Member {
    SWIM.Member(id: x, status: status, incarnation: incarnation)
}

@Test func precedenceFollowsSWIMWithTombstones() {
    // A suspicion beats an alive claim of the same incarnation; only a higher one refutes it.
    #expect(member(.suspect, 3).supersedes(member(.up, 3)))
    #expect(!member(.up, 3).supersedes(member(.suspect, 3)))
    #expect(member(.up, 4).supersedes(member(.suspect, 3)))
    #expect(!member(.suspect, 3).supersedes(member(.suspect, 3)))
    #expect(member(.suspect, 4).supersedes(member(.suspect, 3)))
    #expect(member(.up, 0).supersedes(member(.joining, 0)))
    #expect(!member(.joining, 0).supersedes(member(.up, 0)))
    // A verdict on a stale incarnation does not bury a member that has refuted since.
    #expect(member(.down, 3).supersedes(member(.suspect, 3)))
    #expect(!member(.down, 2).supersedes(member(.up, 3)))
    #expect(member(.left, 0).supersedes(member(.up, 7)))
    // Tombstones are final.
    for status in SWIM.Status.allCases {
        #expect(!member(status, 99).supersedes(member(.down, 0)))
        #expect(!member(status, 99).supersedes(member(.left, 0)))
    }
}

@Test func suspicionTimeoutFallsFromMaximumToMinimumWithConfirmations() {
    let settings = SWIM.Settings()
    let n = 5
    let minimum = settings.suspicionMinimum(members: n)
    let maximum = settings.suspicionMaximum(members: n)
    #expect(minimum == .milliseconds(1500))
    #expect(maximum == minimum * 6)
    #expect(settings.suspicionTimeout(members: n, confirmations: 0) == maximum)
    let one = settings.suspicionTimeout(members: n, confirmations: 1)
    #expect(one < maximum && one > minimum)
    #expect(settings.suspicionTimeout(members: n, confirmations: 2) == minimum)
    #expect(settings.suspicionTimeout(members: n, confirmations: 5) == minimum)
    // Scaled by log10(n) in larger clusters; tiny clusters cannot wait for confirmations.
    #expect(settings.suspicionMinimum(members: 1000) == .milliseconds(4500))
    #expect(settings.confirmationsExpected(members: 3) == 1)
    #expect(settings.suspicionTimeout(members: 2, confirmations: 0) == settings.suspicionMinimum(members: 2))
}

@Test func disseminationAndSyncScaleLogarithmically() {
    let settings = SWIM.Settings()
    #expect(settings.retransmitLimit(members: 5) == 4)
    #expect(settings.retransmitLimit(members: 100) == 12)
    #expect(settings.retransmitLimit(members: 1000) == 16)
    #expect(settings.syncInterval(members: 32) == .seconds(30))
    #expect(settings.syncInterval(members: 64) == .seconds(60))
    #expect(settings.syncInterval(members: 1000) == .seconds(180))
}

@Test func messagesRoundTripThroughCodableAndTheSizeEstimateTracksTheirContent() throws {
    let gossip = [
        SWIM.Update(member: member(.suspect, 2), reporter: reporter),
        SWIM.Update(member: member(.up, 3)),
    ]
    let payloads: [SWIM.Payload] = [
        .ping(sequence: 1), .pingRequest(sequence: 2, target: x), .ack(sequence: 3, target: x),
        .nack(sequence: 4), .join, .sync(members: [member(.up, 1), member(.down, 0)], isReply: true),
        .gossip, .declaredDown,
    ]
    for payload in payloads {
        let message = SWIM.Message(sender: reporter, recipient: x, payload: payload, gossip: gossip)
        let decoded = try JSONDecoder().decode(SWIM.Message.self, from: JSONEncoder().encode(message))
        #expect(decoded == message)
        let bare = SWIM.Message(sender: reporter, recipient: x, payload: payload)
        #expect(message.estimatedEncodedSize > bare.estimatedEncodedSize)
        // A positional binary encoding is far smaller than JSON but never smaller than its strings.
        #expect(bare.estimatedEncodedSize >= 2 * x.address.host.utf8.count)
    }
}

@Test func seededRandomReplaysAndSplitsIndependently() {
    var first = SeededRandom(seed: 9)
    var second = SeededRandom(seed: 9)
    #expect((0..<100).map { _ in first.next() } == (0..<100).map { _ in second.next() })
    var parent = SeededRandom(seed: 9)
    var child = parent.split()
    #expect(child.next() != parent.next())
    var unit = SeededRandom(seed: 3)
    #expect((0..<1000).allSatisfy { _ in (0..<1).contains(unit.unit()) })
}
