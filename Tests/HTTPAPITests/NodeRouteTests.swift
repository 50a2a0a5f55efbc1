import Assessment
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct NodeRouteTests {
    @Test func clusterListsMembersWithContractFields() async throws {
        try await withAPI { client, _ in
            let response = try await client.execute(uri: "/v1/cluster", method: .get)
            #expect(response.status == .ok)
            #expect(Set(response.object.keys) == ["self", "members"])
            let members = try #require(response.object["members"] as? [[String: Any]])
            #expect(
                members.allSatisfy {
                    Set($0.keys) == ["id", "cluster_address", "http_address", "status", "incarnation"]
                })
            let body = try response.decode(ClusterBody.self)
            #expect(body.`self` == "node-1")
            #expect(body.members.map(\.status) == ["up", "suspect"])
        }
    }

    /// The schema served is the validator's own and the same as the copy in the repository.
    @Test func schemaIsTheRequestSchema() async throws {
        try await withAPI { client, _ in
            let response = try await client.execute(uri: "/v1/schema", method: .get)
            #expect(response.status == .ok)
            let served = Data(response.body.readableBytesView)
            #expect(served == RequestSchema.document)
            let file = try Data(
                contentsOf: Fixtures.repoRoot.appendingPathComponent("schema/assessment-request.schema.json"))
            #expect(served == file)
        }
    }

    @Test func healthAndReadiness() async throws {
        let service = EngineBackedService()
        try await withAPI(service) { client, service in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(try ready.decode(ReadinessBody.self) == ReadinessBody(ready: true, reasons: []))

            await service.setNotReady(["not joined yet", "store closed"])
            let notReady = try await client.execute(uri: "/readyz", method: .get)
            #expect(notReady.status == .serviceUnavailable)
            #expect(try notReady.decode(ReadinessBody.self).reasons == ["not joined yet", "store closed"])
        }
    }

    @Test func metricsExposeSubmissionsAndRouteLatency() async throws {
        try await withAPI { client, _ in
            _ = try await client.submitExample()
            _ = try await client.execute(uri: "/v1/cluster", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(text.contains(#"inframind_submissions_total{outcome="accepted"}"#))
            #expect(text.contains(#"inframind_http_request_duration_seconds_bucket{"#))
            #expect(text.contains(#"route="/v1/cluster""#))
        }
    }

    @Test func unknownRouteIs404AndWrongMethodIs405() async throws {
        try await withAPI { client, _ in
            let unknown = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "route_not_found")

            let wrong = try await client.execute(uri: "/v1/assessments", method: .put)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.errorCode == "method_not_allowed")
            #expect(wrong.headers[.allow] == "POST, GET")

            let wrongOnID = try await client.execute(uri: "/v1/assessments/a-1/report", method: .post)
            #expect(wrongOnID.status == .methodNotAllowed)
        }
    }
}
