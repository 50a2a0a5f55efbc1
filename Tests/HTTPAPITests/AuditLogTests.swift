import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The audit log (docs/security.md, "Audit log"): one JSON line per submit, cancel and refusal.
@Suite struct AuditLogTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).jsonl").path
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func submitsCancelsAndRefusalsAreRecordedWithoutTheToken() async throws {
        typealias Tokens = AccessTests.Tokens
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try AuditLog(.init(path: path), node: "node-1", logger: Logger(label: "audit-test"))
        let settings = try Tokens.settings { $0.auditLog = log }
        let id = try await withAPI(settings: settings) { client, _ in
            let id = try await client.submitExample(headers: AccessTests.bearer(Tokens.globexSubmitter))
            _ = try await client.execute(uri: "/v1/assessments/\(id)", method: .get)
            _ = try await client.execute(
                uri: "/v1/assessments/\(id)", method: .get, headers: AccessTests.bearer(Tokens.acmeReader))
            _ = try await client.submit(try Fixtures.example(), headers: AccessTests.bearer(Tokens.acmeReader))
            let invalid = try await client.submit(
                Data("{}".utf8), headers: AccessTests.bearer(Tokens.globexSubmitter))
            #expect(invalid.status == .badRequest)
            let cancelled = try await client.execute(
                uri: "/v1/assessments/\(id)", method: .delete, headers: AccessTests.bearer(Tokens.globexSubmitter))
            #expect(cancelled.status == .ok)
            return id
        }
        await log.shutdown()
        let lines = try Self.lines(path)
        #expect(
            lines.map { $0["outcome"] as? String } == [
                "accepted", "unauthorized", "not_found", "forbidden", "invalid", "cancelled",
            ])
        #expect(lines.map { $0["status"] as? Int } == [202, 401, 404, 403, 400, 200])
        #expect(
            lines.map { $0["token"] as? String } == [
                "globex-ci", nil, "acme-dashboard", "acme-dashboard", "globex-ci", "globex-ci",
            ])
        #expect(lines.map { $0["tenant"] as? String } == ["globex", nil, "acme", "acme", "globex", "globex"])
        #expect(lines.map { $0["assessment_id"] as? String } == [id, nil, id, nil, nil, id])
        #expect(lines.allSatisfy { $0["node"] as? String == "node-1" && $0["time"] is String })
        #expect(lines.map { $0["route"] as? String }.first == "/v1/assessments")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for token in [Tokens.globexSubmitter, Tokens.acmeReader] { #expect(!text.contains(token)) }
    }

    /// Past `maxBytes` the file moves to `.1` (and `.1` to `.2`); beyond `keep` the oldest goes.
    @Test func theLogRotatesBySize() async throws {
        let path = Self.temporaryPath()
        defer {
            for suffix in ["", ".1", ".2", ".3"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let log = try AuditLog(
            .init(path: path, maxBytes: 4096, keep: 2), node: "node-1", logger: Logger(label: "audit-test"))
        for index in 0..<200 {
            log.record(
                AuditEntry(
                    time: "2026-12-06T00:00:00Z", node: "node-1", tenant: "acme", token: "t", method: "POST",
                    route: "/v1/assessments", assessmentID: "a-\(index)", outcome: "accepted", status: 202))
            // Several batches, so rotation happens between them.
            if index % 20 == 19 { await Task.yield() }
        }
        await log.shutdown()
        let manager = FileManager.default
        #expect(manager.fileExists(atPath: path + ".1"))
        #expect(!manager.fileExists(atPath: path + ".3"))
        var ids: [String] = []
        for suffix in [".2", ".1", ""] where manager.fileExists(atPath: path + suffix) {
            let lines = try Self.lines(path + suffix)
            ids += lines.compactMap { $0["assessment_id"] as? String }
        }
        // Whatever was kept is whole lines, in order, ending with the last one written.
        #expect(ids.last == "a-199")
        let numbers = ids.compactMap { Int($0.dropFirst(2)) }
        #expect(numbers == numbers.sorted())
        #expect(Set(numbers).count == numbers.count)
    }

    @Test func anUnwritablePathFailsAtOnce() {
        #expect(throws: AuditLog.OpenError.self) {
            _ = try AuditLog(.init(path: "/nonexistent-dir/audit.jsonl"), node: "n", logger: Logger(label: "t"))
        }
    }
}
