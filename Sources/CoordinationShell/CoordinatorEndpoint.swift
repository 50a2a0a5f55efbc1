import ClusterSystem
import Coordination
import Distributed
import FoundationEssentials
import Storage
import Wire

/// The well-known `/coordinator` actor of a node: where peers deliver coordination messages, and
/// where any node reads what this node stores.
package distributed actor CoordinatorEndpoint: ClusterCallable {
    package typealias ActorSystem = ClusterSystem
    package static let path = "/coordinator"

    private let node: CoordinatorNode

    init(node: CoordinatorNode, actorSystem: ClusterSystem) {
        self.node = node
        self.actorSystem = actorSystem
    }

    /// Hands messages to the state machine and returns once it has handled them, so a sender that
    /// waits for one batch before sending the next keeps its messages in order. A batch that names a
    /// sender other than the certified peer it came from is refused whole (docs/security.md#peer-identity).
    package distributed func deliver(_ envelopes: [Envelope]) async throws {
        for envelope in envelopes where !actorSystem.senderMatchesCaller(envelope.from, in: "coordination envelope") {
            throw SenderMismatch(certified: ClusterSystem.callerName ?? "", claimed: envelope.from)
        }
        await node.receive(envelopes)
    }

    /// The record as this node stores it (without its journal), or nil.
    package distributed func read(id: String) async throws -> AssessmentRecord? {
        try await node.readLocal(AssessmentRecord.self, id: id)
    }

    /// The record if this node owns it (as it holds it now) or stores it final as its last owner;
    /// nil otherwise, and the reader asks the replica set.
    package distributed func readAsOwner(id: String) async throws -> AssessmentRecord? {
        try await node.readAsOwner(AssessmentRecord.self, id: id)
    }

    /// The record's summary as this node stores it (no request, no report), or nil.
    package distributed func readSummary(id: String) async throws -> AssessmentSummary? {
        try await node.readLocal(AssessmentSummary.self, id: id)
    }

    /// `readAsOwner`, as a summary.
    package distributed func readSummaryAsOwner(id: String) async throws -> AssessmentSummary? {
        try await node.readAsOwner(AssessmentSummary.self, id: id)
    }

    /// The summary of a version of `id` newer than (epoch, version) as soon as this node stores one;
    /// nil after `waitMilliseconds` (at most `CoordinatorNode.longestAwait`) or when this node does
    /// not store `id`. What an event stream on a node outside the replica set waits on.
    package distributed func awaitNewer(id: String, epoch: Int, version: Int, waitMilliseconds: Int) async throws
        -> AssessmentSummary?
    {
        await node.newerStored(of: id, than: (epoch, version), wait: .milliseconds(max(0, waitMilliseconds)))
    }

    /// One page of this node's records' summaries, newest first.
    package distributed func list(statuses: [String], limit: Int, after cursor: PageCursor?) async throws
        -> [AssessmentSummary]
    {
        try await node.listLocal(statuses: statuses, limit: limit, after: cursor)
    }

    package static let wireMethods: [WireMethod<CoordinatorEndpoint>] = [
        WireMethod("deliver") { try await $0.deliver([]) },
        WireMethod("read") { _ = try await $0.read(id: "") },
        WireMethod("readAsOwner") { _ = try await $0.readAsOwner(id: "") },
        WireMethod("list") { _ = try await $0.list(statuses: [], limit: 0, after: nil) },
        WireMethod("readSummary") { _ = try await $0.readSummary(id: "") },
        WireMethod("readSummaryAsOwner") { _ = try await $0.readSummaryAsOwner(id: "") },
        WireMethod("awaitNewer") { _ = try await $0.awaitNewer(id: "", epoch: 0, version: 0, waitMilliseconds: 0) },
    ]

    /// The endpoint on the node called `name` at `host:port`, whichever incarnation runs there.
    static func at(name: String, host: String, port: Int, using system: ClusterSystem) throws -> CoordinatorEndpoint {
        try resolve(id: ActorID(node: NodeID(name: name, host: host, port: port, uid: 0), path: path), using: system)
    }
}

/// Where a listing continues: after this (createdAt, id), newest first.
package struct PageCursor: Codable, Sendable, Hashable {
    package var createdAt: Date
    package var id: String

    package init(createdAt: Date, id: String) {
        self.createdAt = createdAt
        self.id = id
    }
}
