import Assessment
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct SubmissionTests {
    @Test func acceptedSubmissionAnswers202WithLocation() async throws {
        try await withAPI { client, _ in
            let response = try await client.submit(try Fixtures.example())
            #expect(response.status == .accepted)
            let body = try response.decode(SubmittedBody.self)
            #expect(body.status == "queued")
            #expect(response.headers[.location] == "/v1/assessments/\(body.id)")
        }
    }

    @Test func idempotencyKeyGivesTheSameID() async throws {
        try await withAPI { client, _ in
            let first = try await client.submitExample(headers: [.idempotencyKey: "k-1"])
            let again = try await client.submitExample(headers: [.idempotencyKey: "k-1"])
            let other = try await client.submitExample(headers: [.idempotencyKey: "k-2"])
            #expect(first == again)
            #expect(first != other)
        }
    }

    /// Every problem the validator finds comes back, each with its JSON path.
    @Test func invalidRequestListsEveryProblem() async throws {
        var request = try #require(try JSONSerialization.jsonObject(with: try Fixtures.example()) as? [String: Any])
        request["unexpected"] = 1
        var business = try #require(request["business"] as? [String: Any])
        business["company_size"] = "gigantic"
        request["business"] = business
        request.removeValue(forKey: "technical")
        let data = try JSONSerialization.data(withJSONObject: request)
        let expected: [FieldError]
        do {
            _ = try RequestValidator.validate(data)
            Issue.record("the broken request validated")
            return
        } catch {
            expected = error.errors
        }
        #expect(expected.count >= 3)
        try await withAPI { client, _ in
            let response = try await client.submit(data)
            #expect(response.status == .badRequest)
            let body = try response.decode(ErrorBody.self)
            #expect(body.error.code == "invalid_request")
            #expect(body.error.details == expected.map { ErrorBody.Detail(field: $0.field, problem: $0.problem) })
        }
    }

    @Test func malformedJSONIsA400AtTheRoot() async throws {
        try await withAPI { client, _ in
            let response = try await client.submit(Data("{\"title\": ".utf8))
            #expect(response.status == .badRequest)
            #expect(try response.decode(ErrorBody.self).error.details.map(\.field) == ["$"])
        }
    }

    @Test func tokenIsRequiredWhenConfigured() async throws {
        let settings = Fixtures.settings { $0.token = "s3cret-token" }
        try await withAPI(settings: settings) { client, _ in
            let missing = try await client.submit(try Fixtures.example())
            #expect(missing.status == .unauthorized)
            #expect(missing.errorCode == "unauthorized")
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            let wrong = try await client.submit(
                try Fixtures.example(), headers: [.authorization: "Bearer s3cret-tokem"])
            #expect(wrong.status == .unauthorized)
            let short = try await client.submit(try Fixtures.example(), headers: [.authorization: "Bearer s3cret"])
            #expect(short.status == .unauthorized)
            let right = try await client.submit(
                try Fixtures.example(), headers: [.authorization: "Bearer s3cret-token"])
            #expect(right.status == .accepted)
            let id = try right.decode(SubmittedBody.self).id
            let cancel = try await client.execute(uri: "/v1/assessments/\(id)", method: .delete)
            #expect(cancel.status == .unauthorized)
            // Reading needs the token too (AccessTests covers every route).
            #expect(try await client.execute(uri: "/v1/assessments/\(id)", method: .get).status == .unauthorized)
            #expect(
                try await client.execute(
                    uri: "/v1/assessments/\(id)", method: .get, headers: [.authorization: "Bearer s3cret-token"]
                ).status == .ok)
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        let example = try Fixtures.example()
        let settings = Fixtures.settings { $0.bodyLimit = example.count - 1 }
        try await withAPI(settings: settings) { client, _ in
            let response = try await client.submit(example)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "payload_too_large")
            let declared = try await client.submit(example, headers: [.contentLength: "\(example.count)"])
            #expect(declared.status == .contentTooLarge)
        }
    }

    /// With the admission limit reached (submissions held inside the service), one more is refused at once.
    @Test func fullAdmissionQueueIs429WithRetryAfter() async throws {
        let service = EngineBackedService()
        await service.holdSubmissions()
        let settings = Fixtures.settings {
            $0.admissionLimit = 2
            $0.retryAfterSeconds = 3
        }
        try await withAPI(service, settings: settings) { client, service in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await client.submit(try Fixtures.example()).status }
                }
                var arrivals = service.entered.makeAsyncIterator()
                for _ in 0..<2 { _ = await arrivals.next() }

                let refused = try await client.submit(try Fixtures.example())
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.retryAfter] == "3")
                #expect(refused.errorCode == "overloaded")

                await service.releaseSubmissions()
                for try await status in group { #expect(status == .accepted) }
            }
            // The slots are free again.
            #expect(try await client.submit(try Fixtures.example()).status == .accepted)
        }
    }

    /// A node at its backlog limit refuses before reading the body (this one is not even valid);
    /// an owner at its limit refuses after; both say why, with this API's Retry-After, and neither
    /// stores anything.
    @Test func aBacklogAtItsLimitIs429WithTheReason() async throws {
        let service = EngineBackedService()
        service.nodeBusy.withLock { $0 = "this node has 1000 unfinished assessments (backlog_limit 1000); retry later" }
        let settings = Fixtures.settings {
            $0.retryAfterSeconds = 4
            $0.backlogRefusalHold = .milliseconds(200)
        }
        try await withAPI(service, settings: settings) { client, service in
            let clock = ContinuousClock()
            let start = clock.now
            let early = try await client.submit(Data("not json".utf8))
            // Held before it is sent, so a client that does not wait cannot spin on refusals.
            #expect(clock.now - start >= .milliseconds(200))
            #expect(early.status == .tooManyRequests)
            #expect(early.headers[.retryAfter] == "4")
            #expect(try early.decode(ErrorBody.self).error.message.contains("backlog_limit 1000"))
            // A keyed submission goes to its owner all the same: it may repeat an accepted one.
            let keyed = try await client.submitExample(headers: [.idempotencyKey: "k-busy"])
            let repeated = try await client.submitExample(headers: [.idempotencyKey: "k-busy"])
            #expect(keyed == repeated)

            service.nodeBusy.withLock { $0 = nil }
            await service.setOwnerBusy("the assessment's owner has 1000 unfinished assessments; retry later")
            let late = try await client.submit(try Fixtures.example())
            #expect(late.status == .tooManyRequests)
            #expect(late.headers[.retryAfter] == "4")
            let body = try late.decode(ErrorBody.self)
            #expect(body.error.code == "overloaded")
            #expect(body.error.message == "the assessment's owner has 1000 unfinished assessments; retry later")
            #expect(try await service.list(statuses: [], limit: 10, cursor: nil).items.count == 1)

            await service.setOwnerBusy(nil)
            #expect(try await client.submit(try Fixtures.example()).status == .accepted)
        }
    }

    @Test func unavailableServiceIs503() async throws {
        let service = EngineBackedService()
        await service.setUnavailable("no quorum for the replica set")
        try await withAPI(service) { client, _ in
            let response = try await client.submit(try Fixtures.example())
            #expect(response.status == .serviceUnavailable)
            let body = try response.decode(ErrorBody.self)
            #expect(body.error.code == "unavailable")
            // The reason is the node's to log (docs/security.md, "Server errors"); the client gets
            // a generic text with the request id under which it is logged.
            let id = try #require(response.headers[.requestID])
            #expect(body.error.message == "the service cannot answer now; retry later (request id \(id))")
        }
    }
}
