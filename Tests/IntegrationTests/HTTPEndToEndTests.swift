import Assessment
import AsyncHTTPClient
import ClusterSystem
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Three real `inframind node` processes serving the HTTP API (openapi.json), driven over 127.0.0.1
/// as a client would: submissions through every node, reads and Server-Sent Events from nodes other
/// than the one that received the submission, every status code of the contract (202, 200, 400,
/// 401, 404, 405, 409, 413, 429, 503), cancellation, and quorum loss. One behaviour per test, so a
/// failure names what broke and hides nothing else. Every process is stopped by PID whatever happens.
@Suite("Multi-process: HTTP API end to end", .serialized)
enum HTTPEndToEndTests {
    /// The behaviours of a healthy cluster, on one cluster started once for all of them
    /// (`SharedCluster`); each test submits what it needs, so their order does not matter.
    @Suite("on one shared three-node cluster", SharedCluster())
    struct OnOneCluster {
        private var cluster: E2ECluster {
            get throws { try #require(E2ECluster.current, "the shared cluster is not running") }
        }

        @Test func everyNodeIsReadyAndListsTheThreeMembersWithTheirHTTPAddresses() async throws {
            let cluster = try cluster
            for (index, base) in cluster.api.enumerated() {
                #expect(try await HTTP.get(base + "/readyz").status == 200, "\(cluster.names[index]) /readyz")
            }
            let view = try await HTTP.get(cluster.api[1] + "/v1/cluster").json(ClusterView.self)
            #expect(view.selfID == "node-2")
            #expect(Set(view.members.map(\.id)) == Set(cluster.names))
            // Each from the member's own membership record, not asked of the member.
            #expect(Set(view.members.compactMap(\.httpAddress)) == Set(cluster.httpPorts.map { "127.0.0.1:\($0)" }))
        }

        /// With a token configured only health and the schema are open; every read of data needs it
        /// (docs/security.md#authentication-roles-and-tenants).
        @Test func readRoutesNeedTheTokenExceptHealthAndTheSchema() async throws {
            let cluster = try cluster
            for path in ["/healthz", "/readyz", "/v1/schema"] {
                #expect(try await HTTP.send(.GET, cluster.api[2] + path).status == 200, "GET \(path)")
            }
            for path in ["/metrics", "/v1/assessments", "/v1/cluster", "/v1/cluster/stats"] {
                #expect(try await HTTP.send(.GET, cluster.api[2] + path).status == 401, "GET \(path) without a token")
                #expect(try await HTTP.get(cluster.api[2] + path).status == 200, "GET \(path) with the token")
            }
        }

        @Test func aSubmissionToAnyNodeIs202WithItsLocationAndReadableFromAnother() async throws {
            let cluster = try cluster
            var ids: [String] = []
            for base in cluster.api {
                let reply = try await cluster.submit(to: base)
                try #require(reply.status == 202, "POST to \(base): \(reply.status) \(reply.text)")
                let submitted = try reply.json(Submitted.self)
                #expect(submitted.status == "queued")
                #expect(reply.headers.first(name: "Location") == "/v1/assessments/\(submitted.id)")
                ids.append(submitted.id)
            }
            #expect(Set(ids).count == 3)
            for (index, id) in ids.enumerated() {
                let reply = try await HTTP.get(cluster.api[(index + 1) % 3] + "/v1/assessments/\(id)")
                #expect(reply.status == 200)
                let body = try reply.json(Snapshot.self)
                #expect(body.id == id)
                #expect(["queued", "running"].contains(body.status), "just submitted, yet \(body.status)")
            }
        }

        @Test func assessmentsSubmittedToEachNodeCompleteSeenFromANodeThatDidNotReceiveThem() async throws {
            let cluster = try cluster
            for (index, base) in cluster.api.enumerated() {
                let id = try await cluster.submit(to: base).json(Submitted.self).id
                let done = await eventually(timeout: .seconds(60)) {
                    try await HTTP.get(cluster.api[(index + 2) % 3] + "/v1/assessments/\(id)").json(Snapshot.self)
                        .status == "completed"
                }
                #expect(done, "\(id) (submitted to \(cluster.names[index])) did not complete:\n\(cluster.logs())")
            }
        }

        @Test func theReportIs409WhileTheAssessmentIsUnfinished() async throws {
            let cluster = try cluster
            let id = try await cluster.submit(to: cluster.api[0]).json(Submitted.self).id
            let early = try await HTTP.get(cluster.api[1] + "/v1/assessments/\(id)/report")
            #expect(early.status == 409, "report before completion: \(early.status) \(early.text)")
            #expect(try early.json(ErrorReply.self).error.code == "not_finished")
        }

        /// Followed from every node: at least two of the three are not its owner, and two did not
        /// receive it. Each stream starts with the current state, carries the progress, and ends
        /// after the final state.
        @Test func eventsFollowedFromEveryNodeCarryTheProgressAndEndAfterTheFinalState() async throws {
            let cluster = try cluster
            let reply = try await cluster.submit(to: cluster.api[0])
            try #require(reply.status == 202, "POST: \(reply.status) \(reply.text)")
            let followed = try reply.json(Submitted.self).id
            let streams = try await withThrowingTaskGroup(of: (Int, EventsReply).self) { group in
                for (index, base) in cluster.api.enumerated() {
                    group.addTask { (index, try await HTTP.events(base + "/v1/assessments/\(followed)/events")) }
                }
                var streams: [Int: EventsReply] = [:]
                for try await (index, reply) in group { streams[index] = reply }
                return streams
            }
            for (index, stream) in streams.sorted(by: { $0.key < $1.key }) {
                let node = cluster.names[index]
                #expect(stream.status == 200, "\(node) events: \(stream.status)")
                #expect(
                    stream.contentType?.hasPrefix("text/event-stream") == true, "\(node): \(stream.contentType ?? "")")
                #expect(stream.events.allSatisfy { $0.name == "progress" }, "\(node): \(stream.events.map(\.name))")
                let snapshots = try stream.events.map {
                    try JSONDecoder().decode(Snapshot.self, from: Data($0.data.utf8))
                }
                #expect(snapshots.allSatisfy { $0.id == followed })
                #expect(snapshots.count >= 2, "\(node) sent only \(snapshots.map(\.status))")
                #expect(["queued", "running"].contains(snapshots.first?.status ?? ""), "\(node) first: \(snapshots)")
                #expect(snapshots.last?.status == "completed", "\(node) last: \(String(describing: snapshots.last))")
                #expect(snapshots.dropLast().allSatisfy { $0.status != "completed" }, "\(node): events after the end")
                let percents = snapshots.map(\.progress.percent)
                #expect(percents == percents.sorted(), "\(node): progress went backwards: \(percents)")
                #expect(percents.last == 100)
                let ranks = snapshots.map { ["queued": 0, "running": 1, "completed": 2][$0.status] ?? -1 }
                #expect(ranks == ranks.sorted() && !ranks.contains(-1), "\(node): \(snapshots.map(\.status))")
                if let final = snapshots.last {
                    #expect(final.progress.agents.count == 11)
                    #expect(final.progress.agents.allSatisfy { $0.state == "succeeded" && $0.attempts >= 1 })
                    #expect(
                        final.progress.agents.allSatisfy { cluster.names.contains($0.node ?? "") },
                        "\(final.progress.agents)")
                }
            }
            print(
                "SSE events per node for \(followed): \(streams.sorted { $0.key < $1.key }.map { $0.value.events.count })"
            )
        }

        @Test func eventsOfAFinishedAssessmentAreItsCurrentStateAloneThenTheEnd() async throws {
            let cluster = try cluster
            let id = try await cluster.completedAssessment()
            let late = try await HTTP.events(cluster.api[2] + "/v1/assessments/\(id)/events")
            #expect(late.status == 200)
            let current = try late.events.map { try JSONDecoder().decode(Snapshot.self, from: Data($0.data.utf8)) }
            #expect(current.map(\.status) == ["completed"])
        }

        @Test func theReportIsServedAsJSONMarkdownAndHTMLByANodeThatDidNotReceiveIt() async throws {
            let cluster = try cluster
            let id = try await cluster.completedAssessment()
            let report = try await HTTP.get(cluster.api[2] + "/v1/assessments/\(id)/report")
            #expect(report.status == 200)
            #expect(report.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            #expect(try report.json(ReportHead.self).assessmentID == id)
            let markdown = try await HTTP.get(cluster.api[1] + "/v1/assessments/\(id)/report?format=markdown")
            #expect(markdown.status == 200)
            #expect(markdown.headers.first(name: "Content-Type")?.hasPrefix("text/markdown") == true)
            #expect(markdown.text.hasPrefix("# "))
            let html = try await HTTP.get(cluster.api[1] + "/v1/assessments/\(id)/report?format=html")
            #expect(html.status == 200)
            #expect(html.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
            #expect(html.text.contains("<!DOCTYPE html>"))
        }

        @Test func anUnknownReportFormatIs400() async throws {
            let cluster = try cluster
            let id = try await cluster.completedAssessment()
            #expect(try await HTTP.get(cluster.api[0] + "/v1/assessments/\(id)/report?format=pdf").status == 400)
        }

        @Test func theListingFromAnyNodeHoldsACompletedAssessment() async throws {
            let cluster = try cluster
            let id = try await cluster.completedAssessment()
            for base in cluster.api {
                let listed = try await HTTP.get(base + "/v1/assessments?status=completed&limit=50").json(Listing.self)
                #expect(listed.items.map(\.id).contains(id), "listing at \(base): \(listed.items.map(\.id))")
            }
            // The title search is the cluster's: a word of the title finds it from any node, in any case.
            let title = try #require(
                (try JSONSerialization.jsonObject(with: E2ECluster.example) as? [String: Any])?["title"] as? String)
            let word = try #require(title.split(separator: " ").max { $0.count < $1.count }).uppercased()
            let query = word.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? word
            for base in cluster.api {
                let found = try await HTTP.get(base + "/v1/assessments?status=completed&limit=50&q=\(query)")
                    .json(Listing.self)
                #expect(found.items.map(\.id).contains(id), "search for \(word) at \(base)")
                #expect(found.items.allSatisfy { $0.title?.lowercased().contains(word.lowercased()) == true })
            }
            let none = try await HTTP.get(cluster.api[0] + "/v1/assessments?q=no-title-holds-this-zq").json(
                Listing.self)
            #expect(none.items.isEmpty)
            #expect(try await HTTP.get(cluster.api[0] + "/v1/assessments/\(id)").json(Snapshot.self).title == title)
        }

        /// Members by status from the node's view, and what crossed the wire to get there.
        @Test func metricsCountTheMembersAndTheTransportTraffic() async throws {
            let cluster = try cluster
            _ = try await cluster.completedAssessment()
            #expect(try await HTTP.metric("inframind_members{status=\"up\"}", at: cluster.api[2]) == 3)
            #expect(try await HTTP.metric("inframind_members{status=\"down\"}", at: cluster.api[2]) == 0)
            for base in cluster.api {
                for name in [
                    "inframind_transport_calls_total{direction=\"sent\"}",
                    "inframind_transport_calls_total{direction=\"received\"}",
                    "inframind_transport_bytes_total{direction=\"sent\"}",
                    "inframind_transport_bytes_total{direction=\"received\"}",
                ] {
                    let value = try await HTTP.metric(name, at: base)
                    #expect((value ?? 0) > 0, "\(name) at \(base): \(value.map(String.init(describing:)) ?? "missing")")
                }
            }
            // The coordination messages by kind: an assessment's owner wrote its record to the other
            // replicas, which answered.
            for name in [
                "inframind_coordination_messages_sent_total{kind=\"write\"}",
                "inframind_coordination_messages_sent_total{kind=\"written\"}",
                "inframind_coordination_message_bytes_sent_total{kind=\"write\"}",
            ] {
                var total = 0.0
                for base in cluster.api { total += try await HTTP.metric(name, at: base) ?? 0 }
                #expect(total > 0, "\(name) summed over the nodes: \(total)")
            }
        }

        @Test func anUnknownIdOnEveryAssessmentRouteAndAnUnknownPathAre404() async throws {
            let cluster = try cluster
            let unknown = UUID().uuidString.lowercased()
            for path in ["", "/report", "/events"] {
                let reply = try await HTTP.get(cluster.api[1] + "/v1/assessments/\(unknown)\(path)")
                #expect(reply.status == 404, "GET …\(path): \(reply.status)")
                #expect(try reply.json(ErrorReply.self).error.code == "not_found")
            }
            let delete = try await HTTP.send(
                .DELETE, cluster.api[1] + "/v1/assessments/\(unknown)", headers: E2ECluster.authorized)
            #expect(delete.status == 404)
            #expect(try await HTTP.get(cluster.api[1] + "/v2/nothing").status == 404)
        }

        @Test func aWrongMethodIs405WithTheAllowedOnes() async throws {
            let cluster = try cluster
            let wrongMethod = try await HTTP.send(
                .PUT, cluster.api[1] + "/v1/assessments", body: E2ECluster.example, headers: E2ECluster.authorized)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers.first(name: "Allow")?.contains("POST") == true)
        }

        /// Exactly what the validator finds, every problem with its JSON path.
        @Test func anInvalidRequestIs400WithEveryProblemAndItsPath() async throws {
            let cluster = try cluster
            var broken = try #require(try JSONSerialization.jsonObject(with: E2ECluster.example) as? [String: Any])
            broken["unexpected"] = 1
            var business = try #require(broken["business"] as? [String: Any])
            business["company_size"] = "gigantic"
            business["project_timeline_months"] = "six"
            broken["business"] = business
            broken.removeValue(forKey: "technical")
            let brokenBody = try JSONSerialization.data(withJSONObject: broken)
            let expected: [FieldError]
            do {
                _ = try RequestValidator.validate(brokenBody)
                expected = []
            } catch {
                expected = error.errors
            }
            #expect(expected.count >= 4)
            let invalid = try await cluster.submit(to: cluster.api[2], body: brokenBody)
            #expect(invalid.status == 400)
            let problems = try invalid.json(ErrorReply.self).error
            #expect(problems.code == "invalid_request")
            #expect(problems.details.map { FieldError(field: $0.field, problem: $0.problem) } == expected)
            #expect(
                Set(problems.details.map(\.field)).isSuperset(of: ["unexpected", "business.company_size", "technical"]))
        }

        @Test(arguments: ["none", "wrong token", "no Bearer scheme"])
        func aWriteWithoutTheTokenIs401(_ credentials: String) async throws {
            let cluster = try cluster
            let headers: [(String, String)] =
                switch credentials {
                case "wrong token": [("Authorization", "Bearer wrong-\(E2ECluster.token)")]
                case "no Bearer scheme": [("Authorization", E2ECluster.token)]
                default: []
                }
            let reply = try await cluster.submit(to: cluster.api[0], headers: headers)
            #expect(reply.status == 401, "POST: \(reply.status)")
            #expect(reply.headers.first(name: "WWW-Authenticate") == "Bearer")
            #expect(try reply.json(ErrorReply.self).error.code == "unauthorized")
            #expect(!reply.text.contains(E2ECluster.token))
            let id = try await cluster.completedAssessment()
            let cancel = try await HTTP.send(.DELETE, cluster.api[0] + "/v1/assessments/\(id)", headers: headers)
            #expect(cancel.status == 401, "DELETE: \(cancel.status)")
        }

        @Test func aBodyOverTheLimitIs413() async throws {
            let cluster = try cluster
            var oversized = E2ECluster.example
            oversized.append(
                Data(repeating: UInt8(ascii: " "), count: E2ECluster.bodyLimit + 1 - E2ECluster.example.count))
            let tooLarge = try await cluster.submit(to: cluster.api[1], body: oversized)
            #expect(tooLarge.status == 413, "\(tooLarge.status) \(tooLarge.text)")
            #expect(try tooLarge.json(ErrorReply.self).error.code == "payload_too_large")
        }

        @Test func oneIdempotencyKeyThroughTwoNodesIsOneAssessment() async throws {
            let cluster = try cluster
            let key = [("Idempotency-Key", "e2e-\(UUID().uuidString)")]
            let first = try await cluster.submit(to: cluster.api[2], headers: E2ECluster.authorized + key)
            let again = try await cluster.submit(to: cluster.api[0], headers: E2ECluster.authorized + key)
            #expect(first.status == 202)
            #expect(again.status == 202)
            #expect(try again.json(Submitted.self).id == first.json(Submitted.self).id)
        }

        /// Through a node that neither received nor (for two of the three) owns it; its report stays a 409.
        @Test func deleteCancelsAnAssessmentFromAnotherNode() async throws {
            let cluster = try cluster
            let id = try await cluster.submit(to: cluster.api[2]).json(Submitted.self).id
            let cancelled = try await HTTP.send(
                .DELETE, cluster.api[1] + "/v1/assessments/\(id)", headers: E2ECluster.authorized)
            #expect(cancelled.status == 200, "DELETE: \(cancelled.status) \(cancelled.text)")
            let isCancelled = await eventually(timeout: .seconds(30)) {
                try await HTTP.get(cluster.api[0] + "/v1/assessments/\(id)").json(Snapshot.self).status == "cancelled"
            }
            #expect(isCancelled, "DELETE did not cancel \(id)")
            #expect(try await HTTP.get(cluster.api[2] + "/v1/assessments/\(id)/report").status == 409)
        }
    }

    /// Behaviours that stop or kill nodes: each test on a cluster of its own.
    @Suite("under faults")
    struct UnderFaults {
        /// node-1 admits one submission at a time. With node-2 and node-3 stopped (SIGSTOP) a
        /// submission cannot replicate, so it holds node-1's only slot; the next one is refused.
        @Test func aSubmissionPastTheAdmissionLimitIs429WithRetryAfter() async throws {
            let cluster = try await E2ECluster.start()
            defer { cluster.stop() }
            cluster.nodes[1].signal(SIGSTOP)
            cluster.nodes[2].signal(SIGSTOP)
            let node1 = cluster.api[0]
            var refused: HTTP.Reply?
            var attempts = 0
            for _ in 0..<3 where refused == nil {
                attempts += 1
                let held = Task { try await cluster.submit(to: node1) }
                // The gauge shows the slot taken; only then does the second submission go out.
                let holding = await eventually(timeout: .seconds(20)) {
                    try await HTTP.metric("inframind_admission_in_flight", at: node1) == 1
                }
                if holding {
                    let reply = try await cluster.submit(to: node1)
                    if reply.status == 429 { refused = reply }
                }
                let heldReply = try await held.value
                #expect(
                    heldReply.status == 503,
                    "a submission that cannot replicate: \(heldReply.status) \(heldReply.text)")
            }
            let overloaded = try #require(
                refused, "no submission was refused with 429:\n\(cluster.nodes[0].log.suffix(4000))")
            print("429 on attempt \(attempts), while a submission held node-1's only admission slot")
            #expect(try overloaded.json(ErrorReply.self).error.code == "overloaded")
            #expect(overloaded.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 >= 1 } == true)
        }

        /// With two of three nodes gone, node-1 sees no majority: /readyz says so, and a submission is
        /// refused rather than accepted without replicas, while /healthz still answers.
        @Test func withoutAMajorityReadinessAndSubmissionsAre503() async throws {
            let cluster = try await E2ECluster.start()
            defer { cluster.stop() }
            let node1 = cluster.api[0]
            let killedAt = ContinuousClock.now
            cluster.nodes[1].signal(SIGKILL)
            cluster.nodes[2].signal(SIGKILL)
            let unready = await eventually(timeout: .seconds(60)) {
                try await HTTP.get(node1 + "/readyz").status == 503
            }
            print("node-1's /readyz answered 503 \(ContinuousClock.now - killedAt) after the other two were killed")
            #expect(unready, "node-1 stayed ready without a quorum:\n\(cluster.nodes[0].log.suffix(4000))")
            let noQuorum = try await cluster.submit(to: node1)
            #expect(noQuorum.status == 503, "\(noQuorum.status) \(noQuorum.text)")
            #expect(try noQuorum.json(ErrorReply.self).error.code == "unavailable")
            #expect(try await HTTP.get(node1 + "/healthz").status == 200)
            cluster.stop()
            #expect(cluster.nodes.allSatisfy { !$0.isRunning })
        }
    }
}

/// Starts one `E2ECluster` around a whole suite and stops it after the suite's last test, pass or fail.
private struct SharedCluster: SuiteTrait, TestScoping {
    func scopeProvider(for test: Test, testCase: Test.Case?) -> SharedCluster? { test.isSuite ? self : nil }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let cluster = try await E2ECluster.start()
        defer { cluster.stop() }
        try await E2ECluster.$current.withValue(cluster) { try await function() }
    }
}

/// Three `inframind node` processes on 127.0.0.1 with the settings these tests rely on: a token on
/// writes, a 16 KiB body limit, one submission admitted at a time per node, and agents slowed to
/// 400 ms so that an assessment is still running when a test looks at it.
private final class E2ECluster: Sendable {
    static let token = "e2e-secret-token"
    static let bodyLimit = 16_384
    static let authorized = [("Authorization", "Bearer \(token)")]
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let example: Data = {
        do {
            return try Data(contentsOf: repoRoot.appendingPathComponent("examples/healthcare-startup-7b.json"))
        } catch {
            fatalError("examples/healthcare-startup-7b.json: \(error)")
        }
    }()

    /// The cluster of the suite `SharedCluster` scopes.
    @TaskLocal static var current: E2ECluster?

    let names = (1...3).map { "node-\($0)" }
    let httpPorts: [Int]
    let nodes: [NodeProcess]
    var api: [String] { httpPorts.map { "http://127.0.0.1:\($0)" } }
    private let processes: ProcessGroup
    private let directory: String
    private let completed = Mutex<Task<String, any Error>?>(nil)

    struct NotReady: Error, CustomStringConvertible {
        let description: String
    }

    private init(httpPorts: [Int], nodes: [NodeProcess], processes: ProcessGroup, directory: String) {
        self.httpPorts = httpPorts
        self.nodes = nodes
        self.processes = processes
        self.directory = directory
    }

    /// Starts the three nodes and returns once every one answers /readyz with 200 and sees all
    /// three members up; stops them and throws (with their logs) when that does not happen.
    static func start() async throws -> E2ECluster {
        let names = (1...3).map { "node-\($0)" }
        let directory = NSTemporaryDirectory() + "inframind-http-e2e-\(UUID().uuidString)"
        let processes = ProcessGroup()
        var started: E2ECluster?
        defer {
            if started == nil {
                processes.stopAll()
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        try CertificateAuthority.writeClusterPKI(to: URL(fileURLWithPath: directory), nodeNames: names)
        let clusterPorts = try names.map { _ in try freePort() }
        let httpPorts = try names.map { _ in try freePort() }
        let seed = "node-1@127.0.0.1:\(clusterPorts[0])"
        var nodes: [NodeProcess] = []
        for index in names.indices {
            let arguments = [
                "--http-port", "\(httpPorts[index])", "--data-dir", "\(directory)/\(names[index])-data",
                "--token", token, "--body-limit", "\(bodyLimit)", "--admission-limit", "1",
                "--agent-sleep-ms", "400", "--worker-concurrency", "2",
            ]
            nodes.append(
                try processes.start {
                    try NodeProcess(
                        name: names[index], port: clusterPorts[index], certs: directory, logDirectory: directory,
                        seeds: [seed], arguments: arguments)
                })
        }
        let cluster = E2ECluster(httpPorts: httpPorts, nodes: nodes, processes: processes, directory: directory)
        for (index, base) in cluster.api.enumerated() {
            let ready = await eventually(timeout: .seconds(45)) {
                guard try await HTTP.get(base + "/readyz").status == 200 else { return false }
                let view = try await HTTP.get(base + "/v1/cluster").json(ClusterView.self)
                return view.members.filter { $0.status == "up" }.count == 3
            }
            guard ready else { throw NotReady(description: "\(names[index]) never became ready:\n\(cluster.logs())") }
        }
        started = cluster
        return cluster
    }

    func stop() {
        processes.stopAll()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func logs() -> String { nodes.map { "--- \($0.name):\n\($0.log.suffix(4000))" }.joined(separator: "\n") }

    /// POST /v1/assessments with the example (or `body`), authorized unless `headers` say otherwise.
    func submit(to base: String, body: Data = E2ECluster.example, headers: [(String, String)] = E2ECluster.authorized)
        async throws -> HTTP.Reply
    {
        try await HTTP.send(.POST, base + "/v1/assessments", body: body, headers: headers)
    }

    /// One assessment submitted to node-1 and seen completed from node-3, made once and shared by
    /// the tests that only read a finished assessment.
    func completedAssessment() async throws -> String {
        let task = completed.withLock { memo in
            if let memo { return memo }
            let task = Task { [self] in
                let reply = try await submit(to: api[0])
                guard reply.status == 202 else { throw NotReady(description: "POST: \(reply.status) \(reply.text)") }
                let id = try reply.json(Submitted.self).id
                let done = await eventually(timeout: .seconds(60)) {
                    try await HTTP.get(self.api[2] + "/v1/assessments/\(id)").json(Snapshot.self).status == "completed"
                }
                guard done else { throw NotReady(description: "\(id) did not complete:\n\(logs())") }
                return id
            }
            memo = task
            return task
        }
        return try await task.value
    }
}

/// Polls `condition` (errors count as "not yet") until it holds or `timeout` passes.
// The wire shapes of the API (openapi.json), decoded independently of the server's own types.
private struct ClusterView: Decodable {
    struct Member: Decodable {
        let id: String
        let clusterAddress: String
        let httpAddress: String?
        let status: String
        let incarnation: UInt64

        enum CodingKeys: String, CodingKey {
            case id, status, incarnation
            case clusterAddress = "cluster_address"
            case httpAddress = "http_address"
        }
    }
    let selfID: String
    let members: [Member]

    enum CodingKeys: String, CodingKey {
        case selfID = "self"
        case members
    }
}

private struct Submitted: Decodable {
    let id: String
    let status: String
}

private struct Snapshot: Decodable, CustomStringConvertible {
    struct Progress: Decodable {
        let percent: Int
        let step: String?
        let agents: [Agent]
    }
    struct Agent: Decodable {
        let name: String
        let state: String
        let attempts: Int
        let node: String?
    }
    let id: String
    let title: String?
    let status: String
    let progress: Progress
    let createdAt: String
    let updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, title, status, progress
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    var description: String { "\(status) \(progress.percent)%" }
}

private struct Listing: Decodable {
    let items: [Snapshot]
}

private struct ReportHead: Decodable {
    let assessmentID: String

    enum CodingKeys: String, CodingKey { case assessmentID = "assessment_id" }
}

private struct ErrorReply: Decodable {
    struct Body: Decodable {
        let code: String
        let message: String
        let details: [Detail]
    }
    struct Detail: Decodable {
        let field: String
        let problem: String
    }
    let error: Body
}

private struct EventsReply: Sendable {
    struct Event: Sendable {
        let name: String
        let data: String
    }
    let status: Int
    let contentType: String?
    let events: [Event]
}

/// A small HTTP client over AsyncHTTPClient, only ever to 127.0.0.1.
private enum HTTP {
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: body) }
    }

    static func send(
        _ method: HTTPMethod, _ url: String, body: Data? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    /// With the cluster's token: with a token configured every read needs it (docs/security.md).
    static func get(_ url: String) async throws -> Reply {
        try await send(.GET, url, headers: [("Authorization", "Bearer \(E2ECluster.token)")])
    }

    /// The value of an unlabelled sample in the node's Prometheus text.
    static func metric(_ name: String, at base: String) async throws -> Double? {
        let lines = try await get(base + "/metrics").text.split(separator: "\n")
        for line in lines where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0] == name { return Double(parts[1]) }
        }
        return nil
    }

    /// Reads a Server-Sent Events response to its end (the server closes it after a final state).
    static func events(_ url: String) async throws -> EventsReply {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Authorization", value: "Bearer \(E2ECluster.token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        var buffer: [UInt8] = []
        var events: [EventsReply.Event] = []
        for try await chunk in response.body {
            buffer.append(contentsOf: chunk.readableBytesView)
            while let end = frameEnd(in: buffer) {
                let frame = String(decoding: buffer[..<end.start], as: UTF8.self)
                buffer.removeSubrange(..<end.next)
                var name = "message"
                var data: [String] = []
                for line in frame.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") { continue }
                    if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                    if line.hasPrefix("data:") { data.append(String(line.dropFirst(5).drop { $0 == " " })) }
                }
                if !data.isEmpty { events.append(.init(name: name, data: data.joined(separator: "\n"))) }
            }
        }
        return EventsReply(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            events: events)
    }

    /// Where the first blank line (`\n\n`) ends a frame.
    static func frameEnd(in bytes: [UInt8]) -> (start: Int, next: Int)? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
            return (index, index + 2)
        }
        return nil
    }
}
