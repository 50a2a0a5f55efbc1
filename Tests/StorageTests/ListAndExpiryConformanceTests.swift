import Foundation
import Storage
import Testing

/// Listing order, paging and filters, and retention, on every backend.
@Suite struct ListAndExpiryConformanceTests {
    @Test(arguments: StoreFactory.all)
    func listIsNewestFirstWithTiesBrokenByID(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            // Created out of order, two sharing an instant.
            for (id, second) in [("b", 5.0), ("a", 1.0), ("d", 5.0), ("c", 3.0)] {
                _ = try await store.replicate(sampleRecord(id, createdAt: instant(second)), results: [])
            }
            let page = try await store.list(statuses: [], limit: 10, after: nil)
            #expect(page.records.map(\.id) == ["d", "b", "c", "a"])
            #expect(page.next == nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func pagesCoverEveryRecordOnceInOrder(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let ids = (0..<25).map { "r\($0)" }
            for (index, id) in ids.enumerated() {
                // Every third pair shares an instant so paging must use the id tiebreak.
                _ = try await store.replicate(sampleRecord(id, createdAt: instant(Double(index / 2))), results: [])
            }
            let expected = try await store.list(statuses: [], limit: 100, after: nil).records.map(\.id)
            #expect(expected.count == 25)

            var seen: [String] = []
            var pageSizes: [Int] = []
            var cursor: ListCursor?
            repeat {
                let page = try await store.list(statuses: [], limit: 7, after: cursor)
                seen += page.records.map(\.id)
                pageSizes.append(page.records.count)
                // Through the opaque token, as an HTTP client would hand it back.
                cursor = try page.next.map { try #require(ListCursor(token: $0.token)) }
            } while cursor != nil
            #expect(seen == expected)
            #expect(pageSizes == [7, 7, 7, 4])
        }
    }

    @Test(arguments: StoreFactory.all)
    func statusFilterKeepsOnlyTheNamedStatuses(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let statuses: [AssessmentStatus] = [.pending, .running, .completed, .failed, .cancelled, .completed]
            for (index, status) in statuses.enumerated() {
                _ = try await store.replicate(
                    sampleRecord("s\(index)", status: status, createdAt: instant(Double(index))), results: [])
            }
            #expect(
                try await store.list(statuses: [.completed], limit: 10, after: nil).records.map(\.id) == ["s5", "s2"])
            #expect(
                try await store.list(statuses: [.pending, .failed], limit: 10, after: nil).records.map(\.id) == [
                    "s3", "s0",
                ]
            )
            let firstPage = try await store.list(statuses: [.completed, .running], limit: 2, after: nil)
            #expect(firstPage.records.map(\.id) == ["s5", "s2"])
            let secondPage = try await store.list(statuses: [.completed, .running], limit: 2, after: firstPage.next)
            #expect(secondPage.records.map(\.id) == ["s1"])
            #expect(secondPage.next == nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func aNonPositiveLimitGivesAnEmptyLastPage(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            _ = try await store.replicate(sampleRecord("a1"), results: [])
            #expect(try await store.list(statuses: [], limit: 0, after: nil) == ListPage(records: [], next: nil))
            #expect(try await store.list(statuses: [], limit: -1, after: nil) == ListPage(records: [], next: nil))
        }
    }

    @Test func malformedCursorTokensAreRejected() {
        #expect(ListCursor(token: "") == nil)
        #expect(ListCursor(token: "no-dot") == nil)
        #expect(ListCursor(token: "zz.id") == nil)
    }

    @Test(arguments: StoreFactory.all)
    func expiryRemovesOnlyOldTerminalRecordsAndTheirJournals(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let cases: [(String, AssessmentStatus, Double)] = [
                ("old-completed", .completed, 10), ("old-failed", .failed, 10), ("old-cancelled", .cancelled, 10),
                ("old-running", .running, 10), ("old-pending", .pending, 10), ("new-completed", .completed, 200),
                ("at-cutoff", .completed, 100),
            ]
            for (id, status, updated) in cases {
                var record = sampleRecord(id, status: status, idempotencyKey: "key-\(id)")
                record.updatedAt = instant(updated)
                _ = try await store.replicate(record, results: [sampleResult(id)])
            }
            #expect(try await store.deleteExpired(updatedBefore: instant(100)) == 3)

            let left = Set(try await store.list(statuses: [], limit: 100, after: nil).records.map(\.id))
            #expect(left == ["old-running", "old-pending", "new-completed", "at-cutoff"])
            #expect(try await store.results(of: "old-failed").isEmpty)
            #expect(try await store.results(of: "new-completed").count == 1)
            // The key is free again once its record expired.
            #expect(
                try await store.replicate(sampleRecord("reuse", idempotencyKey: "key-old-completed"), results: [])
                    == .stored)
            #expect(try await store.deleteExpired(updatedBefore: instant(100)) == 0)
        }
    }
}
