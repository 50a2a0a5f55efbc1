import Foundation
import Testing

@testable import Storage

/// One backend under test. The conformance suite takes these as arguments, so a new backend joins
/// every conformance test by adding one case to `all`.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    let name: String
    /// Opens a store whose files (if any) live in the given fresh directory.
    let open: @Sendable (URL) throws -> any AssessmentStore

    var testDescription: String { name }

    static let sqlite = StoreFactory(name: "SQLite") { directory in
        try SQLiteAssessmentStore(dataDirectory: directory)
    }
    static let memory = StoreFactory(name: "in-memory") { _ in InMemoryAssessmentStore() }

    static let all = [sqlite, memory]

    /// Runs `body` on a fresh store, then closes it and removes its directory.
    func withStore<T>(_ body: (any AssessmentStore) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            let store = try open(directory)
            defer { try? (store as? SQLiteAssessmentStore)?.close() }
            return try await body(store)
        }
    }
}

func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("inframind-storage-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// Fixed instants, so tests never depend on the wall clock; fractional on purpose, to show times
/// come back exactly.
func instant(_ seconds: Double) -> Date {
    Date(timeIntervalSinceReferenceDate: 800_000_000.123_456 + seconds)
}

func sampleRecord(
    _ id: String, status: AssessmentStatus = .pending, epoch: Int = 1, createdAt: Date = instant(0),
    idempotencyKey: String? = nil
) -> AssessmentRecord {
    AssessmentRecord(
        id: id,
        status: status,
        epoch: epoch,
        replicaSet: ["node-a", "node-b", "node-c"],
        request: Data("{\"customer\":\"\(id)\"}".utf8),
        progress: AssessmentProgress(
            percent: 0, currentStep: "queued",
            agents: [AgentProgress(agent: "cost_analyzer", state: .waiting, attempt: 0)]
        ),
        idempotencyKey: idempotencyKey,
        createdAt: createdAt
    )
}

func sampleResult(
    _ assessmentID: String, agent: String = "cost_analyzer", attempt: Int = 1, digest: String = "d1",
    node: String = "node-a"
) -> AgentResult {
    AgentResult(
        assessmentID: assessmentID, agent: agent, attempt: attempt, digest: Data(digest.utf8),
        payload: Data("result of \(agent) by \(node)".utf8), node: node, recordedAt: instant(Double(attempt))
    )
}

/// Test convenience over `AssessmentStore.replicate(batch:completion:)` (the store has only that one).
extension AssessmentStore {
    /// The store's one `replicate`, awaited: `writes` in one transaction, outcomes in order.
    func replicate(batch writes: [ReplicatedRecord]) async throws(StoreError) -> [ReplicaOutcome] {
        let result = await withCheckedContinuation { continuation in
            replicate(batch: { writes }, completion: { continuation.resume(returning: $0) })
        }
        return try result.get()
    }

    /// One replica write in a transaction of its own.
    func replicate(_ record: AssessmentRecord, results: [AgentResult]) async throws(StoreError) -> ReplicaOutcome {
        try await replicate(batch: [ReplicatedRecord(record: record, results: results)])[0]
    }
}
