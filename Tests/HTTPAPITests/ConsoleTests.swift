import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HTTPAPI

/// The web console (docs/console.md): embedded, self-contained, served with its CSP, cached and
/// compressed; and the API's CORS for the members' own origins.
@Suite struct ConsoleTests {
    static let pages = ["/", "/assessments", "/assessments/some-id", "/cluster"]

    /// No asset loads or links anything from another host. The SVG namespace is an identifier that
    /// browsers never fetch; `http://${…}` is a member's address from GET /v1/cluster.
    @Test func assetsNameNoOtherHost() throws {
        let absolute = try Regex(#"https?://"#)
        let protocolRelative = try Regex(#"["'(=]\s*//[A-Za-z0-9]"#)
        #expect(!ConsoleAssets.files.isEmpty)
        for (name, bytes) in ConsoleAssets.files {
            let text = try #require(String(bytes: bytes, encoding: .utf8), "\(name) is not UTF-8")
            for match in text.matches(of: absolute) {
                let rest = text[match.range.upperBound...]
                let allowed =
                    rest.hasPrefix("${") || rest.hasPrefix("www.w3.org/2000/svg\"")
                    || rest.hasPrefix("www.w3.org/2000/svg'")
                #expect(allowed, "\(name) names another host: \(rest.prefix(60))")
            }
            #expect(text.matches(of: protocolRelative).isEmpty, "\(name) has a protocol-relative URL")
        }
    }

    /// No inline script, handler attribute or style attribute in the shell: the CSP forbids them, so
    /// one would silently not work.
    @Test func shellHasNoInlineScriptOrStyle() throws {
        let shell = try #require(ConsoleAssets.files["index.html"])
        let html = try #require(String(bytes: shell, encoding: .utf8))
        for tag in html.matches(of: try Regex(#"<script[^>]*>"#)) {
            #expect(html[tag.range].contains("src=\"/console/"), "inline script: \(html[tag.range])")
        }
        #expect(html.matches(of: try Regex(#"\son[a-z]+\s*="#)).isEmpty)
        #expect(html.matches(of: try Regex(#"\sstyle\s*="#)).isEmpty)
    }

    @Test func consoleIsUnder300KB() {
        let total = ConsoleAssets.files.values.reduce(0) { $0 + $1.count }
        #expect(total < 300 * 1024, "\(total) bytes")
    }

    /// The examples "Load example" offers are the repository's own files, byte for byte.
    @Test func examplesAreTheRepositoryExamples() throws {
        let folder = Fixtures.repoRoot.appendingPathComponent("examples")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(!names.isEmpty)
        for name in names {
            let embedded = try #require(ConsoleAssets.files["examples/\(name)"], "examples/\(name) is not embedded")
            #expect(Data(embedded) == (try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }

    @Test func everyPageIsTheShellWithItsPolicy() async throws {
        try await withAPI { client, _ in
            for page in Self.pages {
                let response = try await client.execute(uri: page, method: .get)
                #expect(response.status == .ok, "\(page)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(page)")
                let policy = try #require(response.headers[.contentSecurityPolicy], "\(page) has no CSP")
                #expect(policy.contains("default-src 'self'"))
                #expect(policy.contains("script-src 'self';"))
                #expect(!policy.contains("unsafe"))
                #expect(!policy.contains("*") && !policy.contains("data:") && !policy.contains("https:"))
                // The members' origins (node-1's; node-2 has no HTTP address) may be connected to.
                #expect(policy.contains("connect-src 'self' http://127.0.0.1:8101;"), "\(policy)")
                #expect(Array(response.body.readableBytesView) == ConsoleAssets.files["index.html"])
            }
            for name in ConsoleAssets.files.keys {
                let response = try await client.execute(uri: "/console/\(name)", method: .get)
                #expect(response.status == .ok, "\(name)")
                #expect(response.headers[.contentSecurityPolicy] != nil, "\(name)")
            }
            let missing = try await client.execute(uri: "/console/nothing.js", method: .get)
            #expect(missing.status == .notFound)
        }
    }

    @Test func assetsAreRevalidatedAndGzipped() async throws {
        try await withAPI { client, _ in
            let plain = try await client.execute(uri: "/console/form.js", method: .get)
            let etag = try #require(plain.headers[.eTag])
            #expect(plain.headers[.cacheControl] == "no-cache")
            #expect(plain.headers[.contentEncoding] == nil)

            let again = try await client.execute(uri: "/console/form.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)

            let zipped = try await client.execute(
                uri: "/console/form.js", method: .get, headers: [.acceptEncoding: "br, gzip;q=0.8"])
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(zipped.headers[.vary] == "Accept-Encoding")
            var body = zipped.body
            #expect(body.readableBytes < plain.body.readableBytes)
            let unzipped = try body.decompress(with: .gzip())
            #expect(unzipped == plain.body)

            let refused = try await client.execute(
                uri: "/console/form.js", method: .get, headers: [.acceptEncoding: "gzip;q=0"])
            #expect(refused.headers[.contentEncoding] == nil)
        }
    }

    @Test func corsAllowsOnlyMembersAndConfiguredOrigins() async throws {
        let settings = Fixtures.settings {
            $0.token = "secret"
            $0.corsOrigins = ["http://console.example:9000"]
        }
        try await withAPI(settings: settings) { client, _ in
            for origin in ["http://127.0.0.1:8101", "http://console.example:9000"] {
                let response = try await client.execute(uri: "/v1/cluster", method: .get, headers: [.origin: origin])
                #expect(response.headers[.accessControlAllowOrigin] == origin)
                #expect(response.headers[.vary]?.contains("Origin") == true)
                let preflight = try await client.execute(
                    uri: "/v1/assessments", method: .options,
                    headers: [.origin: origin, .accessControlRequestMethod: "POST"])
                #expect(preflight.status == .noContent)
                #expect(preflight.headers[.accessControlAllowOrigin] == origin)
                #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Idempotency-Key") == true)
                #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            }
            let stranger = try await client.execute(
                uri: "/v1/cluster", method: .get, headers: [.origin: "http://evil.example"])
            #expect(stranger.headers[.accessControlAllowOrigin] == nil)
            let strangerPreflight = try await client.execute(
                uri: "/v1/assessments", method: .options,
                headers: [.origin: "http://evil.example", .accessControlRequestMethod: "POST"])
            #expect(strangerPreflight.status == .forbidden)
            #expect(strangerPreflight.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func sessionSaysWhatTheTokenAllows() async throws {
        try await withAPI { client, _ in
            let open = try await client.execute(uri: "/v1/session", method: .get)
            #expect(
                try open.decode(SessionBody.self)
                    == SessionBody(tokenRequired: false, canSubmit: true, role: "admin", tenant: "default"))
        }
        try await withAPI(settings: Fixtures.settings { $0.token = "secret" }) { client, _ in
            let reader = try await client.execute(uri: "/v1/session", method: .get)
            #expect(try reader.decode(SessionBody.self) == SessionBody(tokenRequired: true, canSubmit: false))
            let wrong = try await client.execute(
                uri: "/v1/session", method: .get, headers: [.authorization: "Bearer guess"])
            #expect(try wrong.decode(SessionBody.self).canSubmit == false)
            let writer = try await client.execute(
                uri: "/v1/session", method: .get, headers: [.authorization: "Bearer secret"])
            #expect(
                try writer.decode(SessionBody.self)
                    == SessionBody(tokenRequired: true, canSubmit: true, role: "admin", tenant: "default"))
        }
    }

    @Test func statsCarryEveryKeyOfTheContract() async throws {
        try await withAPI { client, _ in
            _ = try await client.execute(uri: "/v1/cluster", method: .get)
            let response = try await client.execute(uri: "/v1/cluster/stats", method: .get)
            #expect(response.status == .ok)
            #expect(Set(response.object.keys) == ["node", "members", "unreachable"])
            let members = try #require(response.object["members"] as? [[String: Any]])
            #expect(
                Set(try #require(members.first).keys) == [
                    "node", "uptime_seconds", "agents_running", "backlog", "completed_total", "completed_per_minute",
                    "requeues_total", "lease_expiries_total", "tasks_assigned_total", "http_p99_seconds",
                    "memory_rss_bytes", "event_streams_open", "archive_pending", "archive_lag_seconds",
                ])
            let stats = try response.decode(ClusterStatsBody.self)
            #expect(stats.node == "node-1")
            #expect(stats.members.map(\.node) == ["node-1"])
            #expect((stats.members[0].memoryRSSBytes ?? 0) > 0)
            #expect(stats.members[0].httpP99Seconds != nil)
        }
    }

    @Test func statsGatheredFromTheOtherMembersNameThoseThatDidNotAnswer() async throws {
        let service = EngineBackedService()
        let other = NodeStatsBody(
            node: "node-0", uptimeSeconds: 12, agentsRunning: 2, backlog: 1, completedTotal: 5, completedPerMinute: nil,
            requeuesTotal: 0, leaseExpiriesTotal: 0, tasksAssignedTotal: 9, httpP99Seconds: nil, memoryRSSBytes: nil,
            eventStreamsOpen: 0)
        await service.setMemberAnswers([
            MemberStats(node: "node-3", stats: nil, error: "call /stats exceeded its deadline"),
            MemberStats(node: "node-0", stats: try JSONEncoder().encode(other), error: nil),
            MemberStats(node: "node-4", stats: Data("{\"node\":".utf8), error: nil),
        ])
        try await withAPI(service) { client, _ in
            let stats = try await client.execute(uri: "/v1/cluster/stats", method: .get).decode(ClusterStatsBody.self)
            #expect(stats.members.map(\.node) == ["node-0", "node-1"])
            #expect(stats.members[0] == other)
            #expect(stats.unreachable.map(\.node) == ["node-3", "node-4"])
            #expect(stats.unreachable[0].error.contains("deadline"))
            #expect(stats.unreachable[1].error.contains("did not decode"))
        }
    }

    @Test func prometheusTextSumsAndQuantiles() {
        let text = """
            # TYPE inframind_backlog gauge
            inframind_backlog 3
            inframind_requeues_total 2
            d_bucket{route="/a",method="GET",le="0.1"} 90
            d_bucket{route="/a",method="GET",le="1.0"} 99
            d_bucket{route="/a",method="GET",le="+Inf"} 100
            d_bucket{route="/a/events",method="GET",le="0.1"} 0
            d_bucket{route="/a/events",method="GET",le="1.0"} 0
            d_bucket{route="/a/events",method="GET",le="+Inf"} 500
            """
        let metrics = PrometheusText(text)
        #expect(metrics.sum("inframind_backlog") == 3)
        #expect(metrics.sum("absent") == 0)
        #expect(metrics.quantile(0.99, of: "d", excludingRoutesContaining: "/events") == 1.0)
        #expect(metrics.quantile(0.5, of: "d", excludingRoutesContaining: "/events") == 0.1)
        // With the streams counted, the answer is past the last finite bucket: its bound, not infinity.
        #expect(metrics.quantile(0.99, of: "d", excludingRoutesContaining: "nothing") == 1.0)
        #expect(metrics.quantile(0.99, of: "none", excludingRoutesContaining: "/events") == nil)
    }

    @Test func completionRateComesFromSamples() {
        let sampler = NodeStatsSampler()
        let start = ContinuousClock.now
        let first = sampler.stats(node: "n", exposition: "inframind_assessments_completed_total 10", now: start)
        #expect(first.completedPerMinute == nil)
        let later = sampler.stats(
            node: "n", exposition: "inframind_assessments_completed_total 40", now: start + .seconds(30))
        #expect(later.completedPerMinute == 60)
        #expect(later.completedTotal == 40)
    }

    /// The form's one-submission-per-click rests on this: the same Idempotency-Key gives the same id.
    @Test func sameIdempotencyKeySameAssessment() async throws {
        try await withAPI { client, _ in
            let headers: HTTPFields = [.idempotencyKey: "console-click-1"]
            let first = try await client.submitExample(headers: headers)
            let again = try await client.submitExample(headers: headers)
            #expect(first == again)
            let other = try await client.submitExample(headers: [.idempotencyKey: "console-click-2"])
            #expect(other != first)
        }
    }
}
