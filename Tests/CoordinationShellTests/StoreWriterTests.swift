import Foundation
import Storage
import Synchronization
import Testing

@testable import CoordinationShell

/// The store writer over the real SQLite store: every write gets its own outcome, and a store that
/// fails before its transaction begins fails the writes instead of leaving them waiting.
@Suite struct StoreWriterTests {
    func record(_ id: String, epoch: Int = 1, version: Int) -> ReplicatedRecord {
        ReplicatedRecord(
            record: AssessmentRecord(
                id: id, epoch: epoch, version: version, replicaSet: ["node-1", "node-2", "node-3"],
                request: Data("{}".utf8), createdAt: Date(timeIntervalSince1970: 1_800_000_000)),
            results: [])
    }

    /// Writes handed over back to back, older versions among them: each completion gets the outcome
    /// of its own record, in whichever transaction it went.
    @Test func everyWriteGetsItsOwnOutcome() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inframind-writer-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteAssessmentStore(dataDirectory: directory)
        defer { try? store.close() }
        let writer = StoreWriter(store: store)
        var writes: [ReplicatedRecord] = []
        for index in 0..<40 {
            writes.append(record("r\(index)", version: 2))
            // The same id again at an older version (current) and at an older epoch (refused).
            if index % 10 == 0 { writes.append(record("r\(index)", version: 1)) }
        }
        writes.append(record("r5", epoch: 0, version: 9))
        let (stream, continuation) = AsyncStream<(Int, Result<ReplicaOutcome, StoreError>)>.makeStream()
        for (index, write) in writes.enumerated() {
            writer.write(write) { continuation.yield((index, $0)) }
        }
        var outcomes: [Int: Result<ReplicaOutcome, StoreError>] = [:]
        for await (index, outcome) in stream {
            outcomes[index] = outcome
            if outcomes.count == writes.count { break }
        }
        for (index, write) in writes.enumerated() {
            let expected: ReplicaOutcome
            switch (write.record.epoch, write.record.version) {
            case (1, 2): expected = .stored
            case (1, 1): expected = .current(writes[index - 1].record.recordVersion)
            default: expected = .refused(record("r5", version: 2).record.recordVersion)
            }
            #expect(outcomes[index] == .success(expected), "write \(index)")
        }
        for index in 0..<40 { #expect(try await store.read(id: "r\(index)")?.version == 2) }
    }

    /// Closed underneath the writer: each write fails at once, and the writer is not left busy.
    @Test func aClosedStoreFailsTheWritesAndTheWriterGoesIdle() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inframind-writer-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteAssessmentStore(dataDirectory: directory)
        try store.close()
        let writer = StoreWriter(store: store)
        for attempt in 0..<3 {
            let (answers, answer) = AsyncStream<Result<ReplicaOutcome, StoreError>>.makeStream()
            writer.write(record("r\(attempt)", version: 1)) { answer.yield($0) }
            // Raced against a deadline, so that a write left waiting fails the test instead of hanging it.
            let outcome = await withTaskGroup(of: Result<ReplicaOutcome, StoreError>?.self) { group in
                group.addTask { await answers.first { _ in true } }
                group.addTask {
                    try? await Task.sleep(for: .seconds(10))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard case .failure = outcome else {
                Issue.record("write \(attempt) to a closed store: \(String(describing: outcome))")
                return
            }
        }
    }
}
