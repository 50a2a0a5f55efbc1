import Assessment
import AsyncHTTPClient
import ClusterSystem
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Three real `inframind node` processes serving the HTTP API of DESIGN §7, driven over 127.0.0.1
/// as a client would: submissions through every node, reads and Server-Sent Events from nodes
/// other than the one that received the submission, every status code of the contract (202, 200,
/// 400, 401, 404, 405, 409, 413, 429, 503), cancellation, and finally quorum loss. Every process
/// is stopped by PID whatever happens.
@Suite("Multi-process: HTTP API end to end", .serialized)
struct HTTPEndToEndTests {
    static let token = "e2e-secret-token"
    static let bodyLimit = 16_384

    @Test func threeNodesServeTheAPIFromAnyNode() async throws {
        let names = (1...3).map { "node-\($0)" }
        let directory = NSTemporaryDirectory() + "inframind-http-e2e-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CertificateAuthority.writeClusterPKI(to: URL(fileURLWithPath: directory), nodeNames: names)
        let processes = ProcessGroup()
        defer { processes.stopAll() }
        let clusterPorts = try names.map { _ in try freePort() }
        let httpPorts = try names.map { _ in try freePort() }
        let seed = "node-1@127.0.0.1:\(clusterPorts[0])"
        var nodes: [NodeProcess] = []
        for index in names.indices {
            let arguments = [
                "--http-port", "\(httpPorts[index])", "--data-dir", "\(directory)/\(names[index])-data",
                "--token", Self.token, "--body-limit", "\(Self.bodyLimit)", "--admission-limit", "1",
                "--agent-sleep-ms", "400", "--worker-concurrency", "2",
            ]
            nodes.append(
                try processes.start {
                    try NodeProcess(
                        name: names[index], port: clusterPorts[index], certs: directory, logDirectory: directory,
                        seeds: [seed], arguments: arguments)
                })
        }
        let api = httpPorts.map { "http://127.0.0.1:\($0)" }
        func logs() -> String { nodes.map { "--- \($0.name):\n\($0.log.suffix(4000))" }.joined(separator: "\n") }

        // Ready: every node answers /readyz with 200 and sees all three members up.
        for (index, base) in api.enumerated() {
            let ready = await eventually(timeout: .seconds(45)) {
                guard try await HTTP.get(base + "/readyz").status == 200 else { return false }
                let cluster = try await HTTP.get(base + "/v1/cluster").json(ClusterView.self)
                return cluster.members.filter { $0.status == "up" }.count == 3
            }
            try #require(ready, "\(names[index]) never became ready:\n\(logs())")
        }
        let cluster = try await HTTP.get(api[1] + "/v1/cluster").json(ClusterView.self)
        #expect(cluster.selfID == "node-2")
        #expect(Set(cluster.members.map(\.id)) == Set(names))
        #expect(Set(cluster.members.compactMap(\.httpAddress)) == Set(httpPorts.map { "127.0.0.1:\($0)" }))
        for path in ["/healthz", "/v1/schema", "/metrics", "/v1/assessments"] {
            #expect(try await HTTP.get(api[2] + path).status == 200, "GET \(path)")
        }

        let example = try Data(contentsOf: repoRoot.appendingPathComponent("examples/healthcare-startup-7b.json"))
        let authorized = [("Authorization", "Bearer \(Self.token)")]

        // 202 + Location from each of the three nodes, then 200 from a node other than the receiver.
        var ids: [String] = []
        for base in api {
            let reply = try await HTTP.send(.POST, base + "/v1/assessments", body: example, headers: authorized)
            try #require(reply.status == 202, "POST to \(base): \(reply.status) \(reply.text)")
            let submitted = try reply.json(Submitted.self)
            #expect(submitted.status == "queued")
            #expect(reply.headers.first(name: "Location") == "/v1/assessments/\(submitted.id)")
            ids.append(submitted.id)
        }
        #expect(Set(ids).count == 3)
        let followed = ids[0]
        for (index, id) in ids.enumerated() {
            let reply = try await HTTP.get(api[(index + 1) % 3] + "/v1/assessments/\(id)")
            #expect(reply.status == 200)
            let body = try reply.json(Snapshot.self)
            #expect(body.id == id)
            #expect(["queued", "running"].contains(body.status), "just submitted, yet \(body.status)")
        }

        // The report is a 409 while the assessment is still queued or running.
        let early = try await HTTP.get(api[1] + "/v1/assessments/\(followed)/report")
        #expect(early.status == 409, "report before completion: \(early.status) \(early.text)")
        #expect(try early.json(ErrorReply.self).error.code == "not_finished")

        // Server-Sent Events for the assessment node-1 received, followed from every node: at least two
        // of the three are not its owner, and two did not receive it. Each stream starts with the
        // current state, carries the progress, and ends after the final state.
        let streams = try await withThrowingTaskGroup(of: (Int, EventsReply).self) { group in
            for (index, base) in api.enumerated() {
                group.addTask { (index, try await HTTP.events(base + "/v1/assessments/\(followed)/events")) }
            }
            var streams: [Int: EventsReply] = [:]
            for try await (index, reply) in group { streams[index] = reply }
            return streams
        }
        for (index, stream) in streams.sorted(by: { $0.key < $1.key }) {
            let node = names[index]
            #expect(stream.status == 200, "\(node) events: \(stream.status)")
            #expect(stream.contentType?.hasPrefix("text/event-stream") == true, "\(node): \(stream.contentType ?? "")")
            #expect(stream.events.allSatisfy { $0.name == "progress" }, "\(node): \(stream.events.map(\.name))")
            let snapshots = try stream.events.map { try JSONDecoder().decode(Snapshot.self, from: Data($0.data.utf8)) }
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
                #expect(final.progress.agents.allSatisfy { names.contains($0.node ?? "") }, "\(final.progress.agents)")
            }
        }

        print(
            "SSE events per node for \(followed): \(streams.sorted { $0.key < $1.key }.map { $0.value.events.count })")

        // Once final, a new stream (from a non-receiving node) is the current state alone, then ends.
        let late = try await HTTP.events(api[2] + "/v1/assessments/\(followed)/events")
        #expect(late.status == 200)
        let current = try late.events.map { try JSONDecoder().decode(Snapshot.self, from: Data($0.data.utf8)) }
        #expect(current.map(\.status) == ["completed"])

        // The other two complete as well, seen from a node that did not receive them.
        for (index, id) in ids.enumerated().dropFirst() {
            let done = await eventually(timeout: .seconds(60)) {
                try await HTTP.get(api[(index + 2) % 3] + "/v1/assessments/\(id)").json(Snapshot.self).status
                    == "completed"
            }
            #expect(done, "\(id) (submitted to \(names[index])) did not complete:\n\(logs())")
        }

        // Reports, from a node other than the receiver: JSON, Markdown, HTML; an unknown format is a 400.
        let report = try await HTTP.get(api[2] + "/v1/assessments/\(followed)/report")
        #expect(report.status == 200)
        #expect(report.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
        #expect(try report.json(ReportHead.self).assessmentID == followed)
        let markdown = try await HTTP.get(api[1] + "/v1/assessments/\(followed)/report?format=markdown")
        #expect(markdown.status == 200)
        #expect(markdown.headers.first(name: "Content-Type")?.hasPrefix("text/markdown") == true)
        #expect(markdown.text.hasPrefix("# "))
        let html = try await HTTP.get(api[1] + "/v1/assessments/\(ids[1])/report?format=html")
        #expect(html.status == 200)
        #expect(html.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
        #expect(html.text.contains("<!DOCTYPE html>"))
        #expect(try await HTTP.get(api[0] + "/v1/assessments/\(followed)/report?format=pdf").status == 400)

        // The listing, from any node, holds all three, newest first.
        let listed = try await HTTP.get(api[0] + "/v1/assessments?status=completed&limit=50").json(Listing.self)
        #expect(Set(ids).isSubset(of: Set(listed.items.map(\.id))), "listing: \(listed.items.map(\.id))")

        // Metrics: members by status from the node's view, and what crossed the wire to get here.
        #expect(try await HTTP.metric("inframind_members{status=\"up\"}", at: api[2]) == 3)
        #expect(try await HTTP.metric("inframind_members{status=\"down\"}", at: api[2]) == 0)
        for base in api {
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

        // 404: an unknown id on every assessment route; 404 for an unknown path; 405 for a wrong method.
        let unknown = UUID().uuidString.lowercased()
        for path in ["", "/report", "/events"] {
            let reply = try await HTTP.get(api[1] + "/v1/assessments/\(unknown)\(path)")
            #expect(reply.status == 404, "GET …\(path): \(reply.status)")
            #expect(try reply.json(ErrorReply.self).error.code == "not_found")
        }
        #expect(try await HTTP.send(.DELETE, api[1] + "/v1/assessments/\(unknown)", headers: authorized).status == 404)
        #expect(try await HTTP.get(api[1] + "/v2/nothing").status == 404)
        let wrongMethod = try await HTTP.send(.PUT, api[1] + "/v1/assessments", body: example, headers: authorized)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers.first(name: "Allow")?.contains("POST") == true)

        // 400 with every problem and its JSON path, exactly what the validator finds.
        var broken = try #require(try JSONSerialization.jsonObject(with: example) as? [String: Any])
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
        let invalid = try await HTTP.send(.POST, api[2] + "/v1/assessments", body: brokenBody, headers: authorized)
        #expect(invalid.status == 400)
        let problems = try invalid.json(ErrorReply.self).error
        #expect(problems.code == "invalid_request")
        #expect(problems.details.map { FieldError(field: $0.field, problem: $0.problem) } == expected)
        #expect(
            Set(problems.details.map(\.field)).isSuperset(of: ["unexpected", "business.company_size", "technical"]))

        // 401: no token, a wrong token (POST and DELETE); reads need none.
        let refusedHeaders: [[(String, String)]] = [
            [], [("Authorization", "Bearer wrong-\(Self.token)")], [("Authorization", Self.token)],
        ]
        for headers in refusedHeaders {
            let reply = try await HTTP.send(.POST, api[0] + "/v1/assessments", body: example, headers: headers)
            #expect(reply.status == 401, "POST with \(headers.map(\.1)): \(reply.status)")
            #expect(reply.headers.first(name: "WWW-Authenticate") == "Bearer")
            #expect(try reply.json(ErrorReply.self).error.code == "unauthorized")
            #expect(!reply.text.contains(Self.token))
            let cancel = try await HTTP.send(.DELETE, api[0] + "/v1/assessments/\(ids[1])", headers: headers)
            #expect(cancel.status == 401)
        }

        // 413 over the body limit.
        var oversized = example
        oversized.append(Data(repeating: UInt8(ascii: " "), count: Self.bodyLimit + 1 - example.count))
        let tooLarge = try await HTTP.send(.POST, api[1] + "/v1/assessments", body: oversized, headers: authorized)
        #expect(tooLarge.status == 413, "\(tooLarge.status) \(tooLarge.text)")
        #expect(try tooLarge.json(ErrorReply.self).error.code == "payload_too_large")

        // Idempotency-Key: the same key through two nodes is one assessment; then DELETE (through a
        // third node) cancels it, and its report stays a 409.
        let key = [("Idempotency-Key", "e2e-\(UUID().uuidString)")]
        let keyedFirst = try await HTTP.send(
            .POST, api[2] + "/v1/assessments", body: example, headers: authorized + key)
        let again = try await HTTP.send(.POST, api[0] + "/v1/assessments", body: example, headers: authorized + key)
        #expect(keyedFirst.status == 202)
        #expect(again.status == 202)
        let keyed = try keyedFirst.json(Submitted.self).id
        #expect(try again.json(Submitted.self).id == keyed)
        let cancelled = try await HTTP.send(.DELETE, api[1] + "/v1/assessments/\(keyed)", headers: authorized)
        #expect(cancelled.status == 200, "DELETE: \(cancelled.status) \(cancelled.text)")
        let isCancelled = await eventually(timeout: .seconds(30)) {
            try await HTTP.get(api[0] + "/v1/assessments/\(keyed)").json(Snapshot.self).status == "cancelled"
        }
        #expect(isCancelled, "DELETE did not cancel \(keyed)")
        #expect(try await HTTP.get(api[2] + "/v1/assessments/\(keyed)/report").status == 409)

        // 429: node-1 admits one submission at a time. With node-2 and node-3 stopped (SIGSTOP) a
        // submission cannot replicate, so it holds node-1's only slot; the next one is refused.
        nodes[1].signal(SIGSTOP)
        nodes[2].signal(SIGSTOP)
        var refused: HTTP.Reply?
        var attempts = 0
        for _ in 0..<3 where refused == nil {
            attempts += 1
            let held = Task {
                try await HTTP.send(.POST, api[0] + "/v1/assessments", body: example, headers: authorized)
            }
            // The gauge shows the slot taken; only then does the second submission go out.
            let holding = await eventually(timeout: .seconds(20)) {
                try await HTTP.metric("inframind_admission_in_flight", at: api[0]) == 1
            }
            if holding {
                let reply = try await HTTP.send(.POST, api[0] + "/v1/assessments", body: example, headers: authorized)
                if reply.status == 429 { refused = reply }
            }
            let heldReply = try await held.value
            #expect(
                heldReply.status == 503, "a submission that cannot replicate: \(heldReply.status) \(heldReply.text)")
        }
        let overloaded = try #require(refused, "no submission was refused with 429:\n\(nodes[0].log.suffix(4000))")
        print("429 on attempt \(attempts), while a submission held node-1's only admission slot")
        #expect(try overloaded.json(ErrorReply.self).error.code == "overloaded")
        #expect(overloaded.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 >= 1 } == true)

        // 503: with two of three nodes gone, node-1 sees no majority; /readyz says so, and a submission
        // is refused rather than accepted without replicas. (SIGKILL ends a stopped process too.)
        let killedAt = ContinuousClock.now
        nodes[1].signal(SIGKILL)
        nodes[2].signal(SIGKILL)
        let unready = await eventually(timeout: .seconds(60)) {
            try await HTTP.get(api[0] + "/readyz").status == 503
        }
        print("node-1's /readyz answered 503 \(ContinuousClock.now - killedAt) after the other two were killed")
        #expect(unready, "node-1 stayed ready without a quorum:\n\(nodes[0].log.suffix(4000))")
        let noQuorum = try await HTTP.send(.POST, api[0] + "/v1/assessments", body: example, headers: authorized)
        #expect(noQuorum.status == 503, "\(noQuorum.status) \(noQuorum.text)")
        #expect(try noQuorum.json(ErrorReply.self).error.code == "unavailable")
        #expect(try await HTTP.get(api[0] + "/healthz").status == 200)

        processes.stopAll()
        #expect(nodes.allSatisfy { !$0.isRunning })
    }

    static let repoRootURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var repoRoot: URL { Self.repoRootURL }
}

/// Polls `condition` (errors count as "not yet") until it holds or `timeout` passes.
private func eventually(timeout: Duration, _ condition: () async throws -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return false
}

// The wire shapes of DESIGN §7, decoded independently of the server's own types.
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
    let status: String
    let progress: Progress
    let createdAt: String
    let updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, status, progress
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
        try await send(.GET, url, headers: [("Authorization", "Bearer \(HTTPEndToEndTests.token)")])
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
        request.headers.add(name: "Authorization", value: "Bearer \(HTTPEndToEndTests.token)")
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
