import Archive
import ArchiveTestServer
import AsyncHTTPClient
import ClusterSystem
import Foundation
import HTTPAPI
import NIOCore
import NIOHTTP1
import Storage
import Testing

/// Three real nodes with the archive configured (docs/archive.md), against a real server
/// (ArchiveServer): every finished assessment arrives once, also across an archive outage and the
/// SIGKILL of an owner with writes pending; the API falls back to the archive past retention.
@Suite(
    "Multi-process: the MongoDB archive", .serialized,
    .enabled(if: ArchiveServer.available, "no MongoDB server: set INFRAMIND_TEST_MONGODB_URI or install nx-27017"))
struct ArchiveEndToEndTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func everyFinishedAssessmentIsArchivedOnceThroughAnOutageAndAnOwnersDeath() async throws {
        let server = try await ArchiveServer.start()
        defer { server.stop() }
        let names = (1...3).map { "node-\($0)" }
        let directory = NSTemporaryDirectory() + "inframind-archive-e2e-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CertificateAuthority.writeClusterPKI(to: URL(fileURLWithPath: directory), nodeNames: names)
        let processes = ProcessGroup()
        defer { processes.stopAll() }
        let clusterPorts = try names.map { _ in try freePort() }
        let httpPorts = try names.map { _ in try freePort() }
        let seed = "node-1@127.0.0.1:\(clusterPorts[0])"
        let retentionSeconds = 20
        var nodes: [NodeProcess] = []
        for index in names.indices {
            nodes.append(
                try processes.start {
                    try NodeProcess(
                        name: names[index], port: clusterPorts[index], certs: directory, logDirectory: directory,
                        seeds: [seed],
                        arguments: [
                            "--http-port", "\(httpPorts[index])", "--archive-mongodb-uri", server.uri,
                            "--archive-database", server.database, "--retention-seconds", "\(retentionSeconds)",
                            "--worker-concurrency", "2",
                        ])
                })
        }
        let api = httpPorts.map { "http://127.0.0.1:\($0)" }
        func logs() -> String { nodes.map { "--- \($0.name):\n\($0.log.suffix(3000))" }.joined(separator: "\n") }
        for (index, base) in api.enumerated() {
            let ready = await eventually(timeout: .seconds(45), every: .milliseconds(250)) {
                guard try await Web.get(base + "/readyz").status == 200 else { return false }
                let cluster = try await Web.get(base + "/v1/cluster").text
                return cluster.components(separatedBy: "\"up\"").count - 1 == 3
            }
            try #require(ready, "\(names[index]) never became ready:\n\(logs())")
        }
        let example = try Data(contentsOf: Self.repoRoot.appendingPathComponent("examples/healthcare-startup-7b.json"))

        func submit(_ count: Int, to nodes: [String]) async throws -> [String] {
            var ids: [String] = []
            for index in 0..<count {
                let reply = try await Web.send(.POST, nodes[index % nodes.count] + "/v1/assessments", body: example)
                try #require(reply.status == 202, "submit: \(reply.status) \(reply.text)")
                ids.append(try reply.field("id"))
            }
            return ids
        }
        func finalState(_ id: String, at base: String) async throws -> String? {
            let status = try await Web.get(base + "/v1/assessments/\(id)").field("status")
            return ["completed", "failed", "cancelled"].contains(status) ? status : nil
        }
        func waitFinal(_ ids: [String], at base: String) async throws {
            for id in ids {
                let done = await eventually(timeout: .seconds(90), every: .milliseconds(250)) {
                    try await finalState(id, at: base) != nil
                }
                try #require(done, "\(id) never finished:\n\(logs())")
            }
        }
        func archived(at base: String) async throws -> [String] {
            var ids: [String] = []
            var cursor: String?
            repeat {
                let query = "/v1/archive?limit=7" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await Web.get(base + query)
                guard reply.status == 200 else { throw Web.Failure(reply: reply) }
                let page = try JSONDecoder().decode(ArchiveList.self, from: reply.body)
                ids += page.items.map(\.id)
                cursor = page.next
            } while cursor != nil
            return ids
        }

        // Up: completed and cancelled assessments reach the archive.
        var all = try await submit(6, to: api)
        let cancelled = try await submit(1, to: [api[0]])[0]
        _ = try await Web.send(.DELETE, api[0] + "/v1/assessments/\(cancelled)")
        all.append(cancelled)
        try await waitFinal(all, at: api[1])
        let reportBefore = try await Web.get(api[2] + "/v1/assessments/\(all[0])/report?format=json")
        #expect(reportBefore.status == 200)
        if !(await eventually(timeout: .seconds(60), every: .milliseconds(250)) {
            Set(try await archived(at: api[2])) == Set(all)
        }) {
            let got = (try? await archived(at: api[2])) ?? []
            Issue.record("archived \(got.count) of \(all.count): \(got)\n\(logs())")
        }
        let cancelledDocument = try await Web.get(api[1] + "/v1/archive?status=cancelled").text
        let cancelledState = try await finalState(cancelled, at: api[0])
        #expect(cancelledDocument.contains(cancelled) == (cancelledState == "cancelled"))

        if server.isNX {
            // Down during a run: the cluster goes on, stays ready, the listing says 503, writes queue.
            server.kill()
            let duringOutage = try await submit(6, to: api)
            try await waitFinal(duringOutage, at: api[0])
            all += duringOutage
            #expect(try await Web.get(api[1] + "/readyz").status == 200)
            #expect(try await Web.get(api[1] + "/v1/archive").status == 503)
            var pending = 0
            for base in api { pending += try await Web.get(base + "/v1/archive/status").integer("pending") }
            #expect(pending >= duringOutage.count, "pending \(pending) during the outage")

            // The owner dies with its writes pending: its replicas write them once it is gone.
            let orphans = try await submit(3, to: [api[2]])
            try await waitFinal(orphans, at: api[0])
            all += orphans
            nodes[2].signal(SIGKILL)
            try await server.launch()
            let survivors = Array(api.prefix(2))
            if !(await eventually(timeout: .seconds(120), every: .milliseconds(250)) {
                Set(try await archived(at: survivors[0])) == Set(all)
            }) {
                let missing = Set(all).subtracting((try? await archived(at: survivors[0])) ?? [])
                Issue.record("not archived after the outage: \(missing)\n\(logs())")
            }
            let listed = try await archived(at: survivors[1])
            #expect(listed.count == Set(listed).count, "a document listed twice")
        }

        // Past retention (and the next retention pass, once a minute) the cluster forgets; the archive
        // answers, with the same report bytes.
        let old = all[0]
        let reader = api[1]
        #expect(
            await eventually(timeout: .seconds(Int64(retentionSeconds) + 120), every: .milliseconds(250)) {
                try await Web.get(reader + "/v1/assessments/\(old)").text.contains("\"source\":\"archive\"")
            }, "never served from the archive:\n\(logs())")
        let reportAfter = try await Web.get(reader + "/v1/assessments/\(old)/report?format=json")
        #expect(reportAfter.status == 200 && reportAfter.body == reportBefore.body)
        // An id of the assessments' form, which the cluster and then the archive are asked about
        // (one of another form is 404 before either is asked).
        let unknown = UUID().uuidString.lowercased()
        #expect(try await Web.get(reader + "/v1/assessments/\(unknown)").status == 404)
        if server.isNX {
            server.kill()
            #expect(try await Web.get(reader + "/v1/assessments/\(unknown)").status == 503)
        }
    }
}

extension ArchiveEndToEndTests {
    /// A URI libmongoc refuses stops the node at start, with libmongoc's reason (docs/archive.md,
    /// "Configuration"); a server that is merely down does not (the outage test above).
    @Test func aWrongArchiveURIStopsTheNodeAtStartWithTheReason() async throws {
        let directory = try Scratch.make("archive-uri")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let issued = try runInframind(["certs", "init", "--out", directory + "/certs", "--nodes", "1"])
        try #require(issued.status == 0, "\(issued.output)")
        let processes = ProcessGroup()
        defer { processes.stopAll() }
        let node = try processes.start {
            try NodeProcess(
                name: "node-1", port: try freePort(), certs: directory + "/certs", logDirectory: directory,
                arguments: ["--archive-mongodb-uri", "mongodb://x:y@@127.0.0.1"])
        }
        #expect(await eventually { !node.isRunning }, "still running:\n\(node.log.suffix(2000))")
        #expect(node.log.contains("archive_mongodb_uri is not a valid MongoDB URI"), "\(node.log.suffix(2000))")
        #expect(!node.log.contains(" ready: "))
    }

    /// Archive reads obey the same roles and tenants as the cluster's (docs/security.md): one node with
    /// tokens of two tenants, an archive holding each tenant's assessment that the cluster never held
    /// (so every read of them is the archive's fallback), and one assessment submitted live. A document
    /// limit of 64 KiB puts every report in GridFS, so the fallback's report comes through GridFS too.
    @Test func archiveReadsObeyRolesAndTenants() async throws {
        let server = try await ArchiveServer.start()
        defer { server.stop() }
        let directory = try Scratch.make("archive-access")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = (
            acmeReader: "acme-reader-token", acmeSubmitter: "acme-submitter-token", globexReader: "globex-reader-token",
            admin: "ops-admin-token"
        )
        try [
            TokenEntry.line(token: token.acmeReader, role: .reader, tenant: "acme", label: nil),
            TokenEntry.line(token: token.acmeSubmitter, role: .submitter, tenant: "acme", label: nil),
            TokenEntry.line(token: token.globexReader, role: .reader, tenant: "globex", label: nil),
            TokenEntry.line(token: token.admin, role: .admin, tenant: "ops", label: nil),
        ].joined(separator: "\n").write(toFile: directory + "/tokens", atomically: true, encoding: .utf8)

        let documentLimit = 64 * 1024
        let archive = try MongoArchive(
            uri: server.uri, database: server.database, collection: "assessments", documentLimit: documentLimit)
        defer { archive.close() }
        try await archive.ensureIndexes()
        let request = try Data(contentsOf: Self.repoRoot.appendingPathComponent("examples/healthcare-startup-7b.json"))
        let report = try Data(
            contentsOf: Self.repoRoot.appendingPathComponent("examples/golden/healthcare-startup-7b.report.json"))
        let acmeOld = UUID().uuidString.lowercased()
        let globexOld = UUID().uuidString.lowercased()
        for (id, tenant) in [(acmeOld, "acme"), (globexOld, "globex")] {
            let record = AssessmentRecord(
                id: id, status: .completed, epoch: 1, version: 9, replicaSet: ["node-0"], request: request,
                report: report, progress: AssessmentProgress(percent: 100, currentStep: nil, agents: []), failure: nil,
                tenant: tenant, createdAt: Date(timeIntervalSinceNow: -86_400),
                updatedAt: Date(timeIntervalSinceNow: -86_000))
            #expect(
                try await archive.upsert(ArchiveDocument(record: record, results: [], archivedBy: "node-0", at: Date()))
                    == .written)
        }

        let (node, http, processes) = try await singleNode(
            in: directory,
            arguments: [
                "--replication-factor", "1", "--tokens-file", directory + "/tokens", "--archive-mongodb-uri",
                server.uri,
                "--archive-database", server.database, "--archive-document-limit", "\(documentLimit)",
            ])
        defer { processes.stopAll() }
        let base = "http://127.0.0.1:\(http)"
        // Until its view has settled a node answers an unknown id 503 rather than conclude (/readyz says so).
        try #require(await eventually { try await Web.get(base + "/readyz").status == 200 })

        // Submitted live by acme: its document carries acme.
        let submitted = try await Web.send(.POST, base + "/v1/assessments", body: request, token: token.acmeSubmitter)
        try #require(submitted.status == 202, "\(submitted.status) \(submitted.text)\n\(node.log.suffix(3000))")
        let acmeNew = try submitted.field("id")
        func archived(_ token: String) async throws -> Set<String> {
            let reply = try await Web.get(base + "/v1/archive?limit=50", token: token)
            guard reply.status == 200 else { throw Web.Failure(reply: reply) }
            return Set(try JSONDecoder().decode(ArchiveList.self, from: reply.body).items.map(\.id))
        }
        try #require(
            await eventually(timeout: .seconds(60), every: .milliseconds(250)) {
                try await archived(token.admin).contains(acmeNew)
            }, "\(acmeNew) never archived:\n\(node.log.suffix(3000))")
        #expect(try await archive.find(id: acmeNew)?.tenant == "acme")
        let served = try await Web.get(base + "/v1/assessments/\(acmeNew)/report", token: token.acmeReader)
        #expect(served.status == 200)
        #expect(try await archive.find(id: acmeNew)?.report == served.body)

        // Listings: a tenant's own documents only; an admin's, everyone's.
        #expect(try await archived(token.acmeReader) == [acmeOld, acmeNew])
        #expect(try await archived(token.globexReader) == [globexOld])
        #expect(try await archived(token.admin) == [acmeOld, globexOld, acmeNew])

        // The fallback read: another tenant's archived id is as unknown as a missing one; the owner's
        // tenant reads it, report included (a GridFS file, served as the bytes the cluster served).
        for path in ["", "/report", "/events"] {
            let refused = try await Web.get(base + "/v1/assessments/\(acmeOld)\(path)", token: token.globexReader)
            #expect(refused.status == 404, "\(path): \(refused.status) \(refused.text)")
        }
        let own = try await Web.get(base + "/v1/assessments/\(acmeOld)", token: token.acmeReader)
        #expect(own.status == 200 && own.text.contains("\"source\":\"archive\""), "\(own.status) \(own.text)")
        let ownReport = try await Web.get(base + "/v1/assessments/\(acmeOld)/report", token: token.acmeReader)
        #expect(ownReport.status == 200 && ownReport.body == report)
        #expect(try await Web.get(base + "/v1/assessments/\(globexOld)", token: token.admin).status == 200)
        #expect(try await Web.get(base + "/v1/assessments/\(globexOld)", token: token.acmeReader).status == 404)

        // The writer's status is the node's, over every tenant: an admin's, as /metrics is; the
        // cluster's statistics carry the archive's lag.
        #expect(try await Web.get(base + "/v1/archive/status", token: token.acmeReader).status == 403)
        #expect(try await Web.get(base + "/v1/archive/status", token: token.admin).status == 200)
        #expect(
            await eventually {
                let stats = try await Web.get(base + "/v1/cluster/stats", token: token.admin)
                let members = try JSONDecoder().decode(ClusterStatsBody.self, from: stats.body).members
                return members.count == 1 && members[0].archivePending == 0 && members[0].archiveLagSeconds == 0
            })
        try? await archive.dropAll()
    }
}

private struct ArchiveList: Decodable {
    struct Item: Decodable { let id: String }
    let items: [Item]
    let next: String?
}
