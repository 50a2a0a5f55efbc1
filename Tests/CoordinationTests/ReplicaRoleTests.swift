import Foundation
import Storage
import Testing

@testable import Coordination

/// The replica role on its own (`ReplicaRole`): fencing, promises and what it answers, with no core
/// and no membership.
@Suite struct ReplicaRoleTests {
    static let epoch = Date(timeIntervalSince1970: 1_000_000)

    static func record(
        _ id: String = "x", status: AssessmentStatus = .running, epoch: Int = 1, version: Int = 1,
        replicaSet: [String] = ["a", "b", "c"]
    ) -> AssessmentRecord {
        AssessmentRecord(
            id: id, status: status, epoch: epoch, version: version, replicaSet: replicaSet, request: Data("r".utf8),
            createdAt: Self.epoch)
    }

    static func write(_ record: AssessmentRecord, id writeID: UInt64 = 1) -> ReplicaWrite {
        ReplicaWrite(writeID: writeID, record: record, results: [])
    }

    /// What the actions say, in order, as text a test can compare.
    static func describe(_ actions: [ReplicaRole.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .send(.written(let writeID, _, let answer), let node): "written \(writeID) \(answer) to \(node)"
            case .send(.promise(_, let epoch, let granted, _, _, let known), let node):
                "promise e\(epoch) \(granted ? "granted" : "refused")\(known.map { " knowing v\($0.epoch).\($0.version)" } ?? "") to \(node)"
            case .send(let message, let node): "send \(message) to \(node)"
            case .apply(let write, let node): "apply v\(write.record.epoch).\(write.record.version) for \(node)"
            case .readFinal(_, let writeID, let node): "read final for \(writeID) to \(node)"
            case .readForPromise(_, let epoch, let node): "read for promise e\(epoch) to \(node)"
            case .readForRelay(let id, let node): "read \(id) for \(node)"
            case .stored(_, let version): "stored v\(version.epoch).\(version.version)"
            case .promised(_, let epoch, let claimant): "promised e\(epoch) to \(claimant)"
            }
        }
    }

    /// A role holding `record` as stored.
    static func holding(_ record: AssessmentRecord) -> ReplicaRole {
        var role = ReplicaRole()
        _ = role.applied(Self.write(record), replyTo: "a", result: .success(.stored), at: .zero)
        return role
    }

    @Test func aWriteReachesTheStoreOnlyPastEveryFence() {
        var role = Self.holding(Self.record(epoch: 2, version: 3))
        // Unknown here: straight to the store.
        #expect(
            Self.describe(role.writeReceived(Self.write(Self.record("new")), from: "a", ownClaimLasts: false)) == [
                "apply v1.1 for a"
            ])
        // An older epoch is deposed, with what this replica holds.
        #expect(
            Self.describe(
                role.writeReceived(Self.write(Self.record(epoch: 1, version: 9)), from: "a", ownClaimLasts: false)) == [
                    "written 1 deposed(Storage.RecordVersion(epoch: 2, version: 3, replicaSet: [\"a\", \"b\", \"c\"], leaving: [])) to a"
                ])
        // A promise to a claimant of epoch 3 fences the owner of epoch 2 off.
        _ = role.claimReceived(
            "x", epoch: 3, basis: Self.record(epoch: 2, version: 3).recordVersion, from: "b", ownerAlive: false,
            at: .zero, deferFor: .seconds(2))
        #expect(
            Self.describe(
                role.writeReceived(Self.write(Self.record(epoch: 2, version: 4)), from: "a", ownClaimLasts: false)) == [
                    "written 1 fenced(promised: 3) to a"
                ])
        #expect(
            Self.describe(
                role.writeReceived(Self.write(Self.record(epoch: 3, version: 1)), from: "b", ownClaimLasts: false)) == [
                    "apply v3.1 for b"
                ])
    }

    /// A promise to a claimant that may never finish still fences older epochs, but a copy of a newer
    /// version relayed to this node (`OwnerRole.relay`) names the owner and sets it must claim from;
    /// without learning them it named an owner that was alive but deposed, and never claimed (the
    /// simulation left an assessment running for ever that way).
    @Test func aFencedWriteOfANewerVersionIsRefusedButItsOwnerAndSetsAreLearnt() {
        var role = Self.holding(Self.record(epoch: 3, version: 22, replicaSet: ["b", "e", "a"]))
        _ = role.claimReceived(
            "x", epoch: 8, basis: Self.record(epoch: 3, version: 22).recordVersion, from: "a", ownerAlive: false,
            at: .zero, deferFor: .seconds(2))
        let relayed = Self.record(epoch: 4, version: 23, replicaSet: ["e", "a", "d"])
        #expect(
            Self.describe(role.writeReceived(Self.write(relayed), from: "d", ownClaimLasts: false)) == [
                "written 1 fenced(promised: 8) to d"
            ])
        #expect(role["x"]?.version == relayed.recordVersion && role["x"]?.owner == "e")
        #expect(role["x"]?.promised == 8 && role["x"]?.epoch == 8)
        // An older version than the one held teaches nothing.
        _ = role.writeReceived(
            Self.write(Self.record(epoch: 4, version: 5, replicaSet: ["b", "a", "d"])), from: "b", ownClaimLasts: false)
        #expect(role["x"]?.version == relayed.recordVersion)
    }

    /// A promise this node gave its own claim fences older writes only while that claim, or the
    /// ownership it won, lasts: after a timeout no takeover of that epoch can follow. Before, an
    /// owner's final write, and every later copy of it, stayed out for good, and the record stayed
    /// running here while its owner had completed it. A promise to another node fences for good; one
    /// learnt of from another replica's answer as this node's own do.
    @Test func aPromiseToThisNodesOwnClaimFencesOnlyWhileThatClaimLasts() {
        var role = Self.holding(Self.record(epoch: 1, version: 5))
        _ = role.claimReceived(
            "x", epoch: 4, basis: Self.record(epoch: 1, version: 5).recordVersion, from: "c", byThisNode: true,
            ownerAlive: false, at: .zero, deferFor: .seconds(2))
        #expect(role["x"]?.promised == 4 && role["x"]?.othersPromised == 0)
        let final = Self.write(Self.record(status: .completed, epoch: 1, version: 9))
        #expect(
            Self.describe(role.writeReceived(final, from: "a", ownClaimLasts: true)) == [
                "written 1 fenced(promised: 4) to a"
            ])
        #expect(Self.describe(role.writeReceived(final, from: "a", ownClaimLasts: false)) == ["apply v1.9 for a"])
        // Its next claim still takes a newer epoch than the one it gave up.
        #expect(role["x"]?.epoch == 4)
        // Promised to another claimant: fenced whatever this node does.
        _ = role.claimReceived(
            "x", epoch: 5, basis: Self.record(epoch: 1, version: 5).recordVersion, from: "b", byThisNode: false,
            ownerAlive: false, at: .zero, deferFor: .seconds(2))
        #expect(
            Self.describe(role.writeReceived(final, from: "a", ownClaimLasts: false)) == [
                "written 1 fenced(promised: 5) to a"
            ])
        // Learnt from another replica's answer (which may be that replica's promise to its own claim):
        // this node's next claim goes past it, and only that claim is fenced by it.
        var other = Self.holding(Self.record(epoch: 1, version: 5))
        other.promisedElsewhere("x", epoch: 2)
        #expect(other["x"]?.epoch == 2)
        #expect(
            Self.describe(other.writeReceived(final, from: "a", ownClaimLasts: true)) == [
                "written 1 fenced(promised: 2) to a"
            ])
        #expect(Self.describe(other.writeReceived(final, from: "a", ownClaimLasts: false)) == ["apply v1.9 for a"])
    }

    @Test func aRunningWriteOverAFinalStateIsAnsweredWithThatStateAndASecondCreateIsRefused() {
        var role = Self.holding(Self.record(status: .completed, epoch: 1, version: 4))
        #expect(
            Self.describe(
                role.writeReceived(Self.write(Self.record(epoch: 2, version: 1)), from: "b", ownClaimLasts: false)) == [
                    "read final for 1 to b"
                ])
        // The same id created by another owner (a keyed retry ranked elsewhere) deposes that owner.
        var other = Self.holding(Self.record(version: 1, replicaSet: ["a", "b", "c"]))
        #expect(
            Self.describe(
                other.writeReceived(
                    Self.write(Self.record(version: 1, replicaSet: ["b", "a", "c"])), from: "b", ownClaimLasts: false)
            ).first?.hasPrefix("written 1 deposed") == true)
    }

    @Test func aStoredWriteIsAcknowledgedAfterTheOwnerHereHearsOfIt() {
        var role = ReplicaRole()
        let stored = role.applied(
            Self.write(Self.record(epoch: 2, version: 5)), replyTo: "b", result: .success(.stored), at: .seconds(3))
        #expect(Self.describe(stored) == ["stored v2.5", "written 1 accepted to b"])
        #expect(role["x"]?.version.version == 5 && role.records.unfinished == 1)
        let failed = role.applied(
            Self.write(Self.record(epoch: 2, version: 6)), replyTo: "b", result: .failure(.storageFull("disk full")),
            at: .seconds(4))
        #expect(Self.describe(failed) == ["written 1 failed(\"storage full: disk full\") to b"])
        #expect(role["x"]?.version.version == 5)
    }

    @Test func aClaimAgainstALiveOwnerWaitsAndIsAnsweredOnceThatOwnerIsGone() {
        var role = Self.holding(Self.record(epoch: 1, version: 2))
        let basis = Self.record(epoch: 1, version: 2).recordVersion
        let refused = role.claimReceived(
            "x", epoch: 2, basis: basis, from: "b", ownerAlive: true, at: .seconds(1), deferFor: .seconds(2))
        #expect(Self.describe(refused) == ["promise e2 refused knowing v1.2 to b"])
        #expect(role.deferredClaims["x"]?.owner == "a")
        let stillAlive = role.claimsToReconsider(at: .seconds(2), isAlive: { _ in true })
        #expect(stillAlive.isEmpty)
        let again = role.claimsToReconsider(at: .seconds(2), isAlive: { $0 != "a" })
        #expect(again.map(\.id) == ["x"] && role.deferredClaims.isEmpty)
        let granted = role.claimReceived(
            "x", epoch: 2, basis: basis, from: "b", ownerAlive: false, at: .seconds(2), deferFor: .seconds(2))
        #expect(Self.describe(granted) == ["promised e2 to b", "read for promise e2 to b"])
        #expect(role["x"]?.promised == 2)
        // A claimant that knows a newer version than this replica is granted even while the owner
        // this replica names looks alive: that owner was deposed already.
        var behind = Self.holding(Self.record(epoch: 1, version: 2))
        let newer = Self.record(epoch: 1, version: 7).recordVersion
        #expect(
            Self.describe(
                behind.claimReceived(
                    "x", epoch: 2, basis: newer, from: "b", ownerAlive: true, at: .zero, deferFor: .seconds(2))
            ).last == "read for promise e2 to b")
    }

    @Test func aDeferredClaimPastItsTimeIsDropped() {
        var role = Self.holding(Self.record())
        _ = role.claimReceived(
            "x", epoch: 2, basis: Self.record().recordVersion, from: "b", ownerAlive: true, at: .zero,
            deferFor: .seconds(2))
        role.expireDeferredClaims(at: .seconds(2))
        #expect(role.deferredClaims.isEmpty)
    }

    @Test func quietRecordsAreAskedAboutOncePerQuietPeriodAndOnlyOfLiveOwners() {
        var role = ReplicaRole()
        for (id, owner) in [("p", "a"), ("q", "a"), ("r", "d"), ("s", "me")] {
            _ = role.applied(
                Self.write(Self.record(id, replicaSet: [owner, "me"])), replyTo: owner, result: .success(.stored),
                at: .zero)
        }
        _ = role.applied(
            Self.write(Self.record("t", status: .completed, replicaSet: ["a", "me"])), replyTo: "a",
            result: .success(.stored), at: .zero)
        let alive: (String) -> Bool = { $0 != "d" }
        func ask(at seconds: Int, limit: Int = 64) -> [String: [String]] {
            role.quietRecords(at: .seconds(seconds), quiet: .seconds(10), limit: limit, except: "me", isAlive: alive)
                .mapValues { $0.sorted() }
        }
        let early = ask(at: 5)
        let due = ask(at: 10)
        let again = ask(at: 15)
        let limited = ask(at: 20, limit: 1)
        #expect(early.isEmpty && again.isEmpty)
        #expect(due == ["a": ["p", "q"]])
        #expect(limited.values.joined().count == 1)
    }

    @Test func aCheckIsAnsweredForFinishedRecordsOnlyAndRememberedUntilSent() {
        var role = Self.holding(Self.record("done", status: .completed))
        _ = role.applied(Self.write(Self.record("open")), replyTo: "a", result: .success(.stored), at: .zero)
        #expect(Self.describe(role.checkReceived(["done", "open", "unknown"], from: "c")) == ["read done for c"])
        let first = role.finalAsked("done", by: "c")
        let second = role.finalAsked("done", by: "c")
        #expect(first && !second)
    }

    @Test func retentionDropsOldFinishedRecordsButThoseAnOwnerStillWrites() {
        var role = ReplicaRole()
        for id in ["old", "kept", "running"] {
            var record = Self.record(id, status: id == "running" ? .running : .completed)
            record.updatedAt = Self.epoch
            _ = role.applied(Self.write(record), replyTo: "a", result: .success(.stored), at: .zero)
        }
        let none = role.expire(before: Self.epoch, keep: { _ in false })
        let some = role.expire(before: Self.epoch.addingTimeInterval(1), keep: { $0 == "kept" })
        #expect(!none && some)
        #expect(role.records.all.keys.sorted() == ["kept", "running"])
    }

    @Test func aWriteWithoutItsRequestIsAppliedOnlyOverACopyHeldHere() {
        var role = Self.holding(Self.record(epoch: 1, version: 2))
        let delta = Self.write(Self.record(epoch: 1, version: 3), id: 4).withoutRequest
        #expect(Self.describe(role.writeReceived(delta, from: "a", ownClaimLasts: false)) == ["apply v1.3 for a"])
        let elsewhere = Self.write(Self.record("other", epoch: 1, version: 3), id: 5).withoutRequest
        #expect(
            Self.describe(role.writeReceived(elsewhere, from: "a", ownClaimLasts: false)) == [
                "written 5 incomplete to a"
            ])
        // A store that lost its copy meanwhile says so too, and the answer carries it.
        var racing = role
        let answered = racing.applied(delta, replyTo: "a", result: .success(.incomplete), at: .zero)
        #expect(Self.describe(answered) == ["written 4 incomplete to a"])
        #expect(racing["x"]?.version.version == 2)
    }
}
