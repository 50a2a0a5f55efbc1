import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Idempotency keys (docs/security.md, "Idempotency keys"): bounded, scoped to the tenant, and bound
/// to the request they first came with.
@Suite struct IdempotencyTests {
    /// The review's probe: reposting a key with another request answered 202 with someone else's
    /// assessment. It is now a 422 that names the key, and nothing new is stored.
    @Test func aKeyRepeatedWithAnotherRequestIs422() async throws {
        try await withAPI { client, service in
            let first = try await client.submitExample(headers: [.idempotencyKey: "order-42"])
            let other = try Fixtures.example("nonprofit-tight-budget")
            let reused = try await client.submit(other, headers: [.idempotencyKey: "order-42"])
            #expect(reused.status == .unprocessableContent)
            let body = try reused.decode(ErrorBody.self)
            #expect(body.error.code == "idempotency_key_reused")
            #expect(body.error.message.contains("\"order-42\""))
            #expect(body.error.details.map(\.field) == ["Idempotency-Key"])
            // The same request again is the same assessment.
            #expect(try await client.submitExample(headers: [.idempotencyKey: "order-42"]) == first)
            #expect(try await service.list(statuses: [], limit: 10, cursor: nil).items.count == 1)
        }
    }

    @Test(arguments: [
        String(repeating: "k", count: 256), "tab\tkey", "caf\u{E9}", "",
    ])
    func anOversizedOrUnprintableKeyIs400(key: String) async throws {
        try await withAPI { client, service in
            var headers = HTTPFields()
            headers[.idempotencyKey] = key
            let response = try await client.submit(try Fixtures.example(), headers: headers)
            #expect(response.status == .badRequest)
            let body = try response.decode(ErrorBody.self)
            #expect(body.error.code == "invalid_request")
            #expect(body.error.details.map(\.field) == ["Idempotency-Key"])
            #expect(try await service.list(statuses: [], limit: 10, cursor: nil).items.isEmpty)
        }
    }

    @Test func theLongestPrintableKeyIsAccepted() async throws {
        try await withAPI { client, _ in
            let key = String(repeating: "~", count: 254) + " "
            let response = try await client.submit(try Fixtures.example(), headers: [.idempotencyKey: key])
            #expect(response.status == .accepted)
        }
    }

    /// Two tenants using the same key get two assessments: one cannot reach the other's through it.
    @Test func keysAreScopedToTheTenant() async throws {
        typealias Tokens = AccessTests.Tokens
        try await withAPI(settings: try Tokens.settings()) { client, _ in
            var acmeHeaders = AccessTests.bearer(Tokens.acmeSubmitter)
            acmeHeaders[.idempotencyKey] = "shared-key"
            var globexHeaders = AccessTests.bearer(Tokens.globexSubmitter)
            globexHeaders[.idempotencyKey] = "shared-key"
            let acme = try await client.submitExample(headers: acmeHeaders)
            let globex = try await client.submitExample(headers: globexHeaders)
            #expect(acme != globex)
            let read = try await client.execute(
                uri: "/v1/assessments/\(acme)", method: .get, headers: AccessTests.bearer(Tokens.globexSubmitter))
            #expect(read.status == .notFound)
        }
    }
}
