import Assessment
import CompressNIO
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AssessmentRouteTests {
    @Test func snapshotHasTheContractFields() async throws {
        try await withAPI { client, service in
            let id = try await client.submitExample()
            try await service.step(id)
            let response = try await client.execute(uri: "/v1/assessments/\(id)", method: .get)
            #expect(response.status == .ok)
            let object = response.object
            #expect(Set(object.keys) == ["id", "title", "status", "progress", "created_at", "updated_at"])
            let progress = try #require(object["progress"] as? [String: Any])
            #expect(Set(progress.keys) == ["percent", "step", "agents"])
            let agents = try #require(progress["agents"] as? [[String: Any]])
            #expect(agents.count == AgentName.allCases.count)
            #expect(
                agents.allSatisfy {
                    Set($0.keys) == ["name", "state", "attempts", "node", "started_at", "finished_at"]
                })
            let body = try response.decode(AssessmentBody.self)
            #expect(body.status == "running")
            #expect(APIDate.parse(body.createdAt) != nil)
            #expect(body.updatedAt > body.createdAt)
        }
    }

    @Test func failedAssessmentCarriesItsError() async throws {
        try await withAPI { client, service in
            let id = try await client.submitExample()
            await service.fail(id, reason: "agent cto failed 3 times")
            let body = try await client.execute(uri: "/v1/assessments/\(id)", method: .get).decode(AssessmentBody.self)
            #expect(body.status == "failed")
            #expect(body.error == "agent cto failed 3 times")
        }
    }

    @Test func unknownIDIs404Everywhere() async throws {
        try await withAPI { client, _ in
            for (uri, method) in [
                ("/v1/assessments/nope", HTTPRequest.Method.get), ("/v1/assessments/nope/report", .get),
                ("/v1/assessments/nope/events", .get), ("/v1/assessments/nope", .delete),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .notFound, "\(method) \(uri)")
                #expect(response.errorCode == "not_found", "\(method) \(uri)")
            }
        }
    }

    @Test func reportIs409UntilCompletedThenRendersEveryFormat() async throws {
        try await withAPI { client, service in
            let id = try await client.submitExample()
            let early = try await client.execute(uri: "/v1/assessments/\(id)/report", method: .get)
            #expect(early.status == .conflict)
            #expect(early.errorCode == "not_finished")
            while try await service.step(id) {}

            let json = try await client.execute(uri: "/v1/assessments/\(id)/report", method: .get)
            #expect(json.status == .ok)
            #expect(json.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(json.object["assessment_id"] as? String == id)

            let markdown = try await client.execute(uri: "/v1/assessments/\(id)/report?format=markdown", method: .get)
            #expect(markdown.status == .ok)
            #expect(markdown.headers[.contentType]?.hasPrefix("text/markdown") == true)
            #expect(markdown.text.hasPrefix("# "))
            #expect(markdown.text.contains(id))

            let html = try await client.execute(uri: "/v1/assessments/\(id)/report?format=html", method: .get)
            #expect(html.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(html.text.hasPrefix("<!DOCTYPE html>"))

            let bad = try await client.execute(uri: "/v1/assessments/\(id)/report?format=pdf", method: .get)
            #expect(bad.status == .badRequest)
            #expect(try bad.decode(ErrorBody.self).error.details.map(\.field) == ["format"])
        }
    }

    /// The record keeps the typed report (StoredReport): a client that takes gzip gets its JSON in
    /// gzip, any other client the JSON itself, and both are the same report.
    @Test func theReportIsServedInGzipToAClientThatTakesItAndInflatedToOneThatDoesNot() async throws {
        try await withAPI { client, service in
            let id = try await client.submitExample()
            while try await service.step(id) {}
            let plain = try await client.execute(uri: "/v1/assessments/\(id)/report", method: .get)
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            #expect(plain.object["assessment_id"] as? String == id)

            let zipped = try await client.execute(
                uri: "/v1/assessments/\(id)/report", method: .get, headers: [.acceptEncoding: "gzip, deflate"])
            #expect(zipped.status == .ok)
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(zipped.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(zipped.body.readableBytes * 3 < plain.body.readableBytes)
            var body = zipped.body
            #expect(try body.decompress(with: .gzip()) == plain.body)

            let refused = try await client.execute(
                uri: "/v1/assessments/\(id)/report", method: .get, headers: [.acceptEncoding: "gzip;q=0"])
            #expect(refused.headers[.contentEncoding] == nil)
            #expect(refused.body == plain.body)
            // Markdown is rendered from the inflated JSON whatever the client takes.
            let markdown = try await client.execute(
                uri: "/v1/assessments/\(id)/report?format=markdown", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(markdown.headers[.contentEncoding] == nil)
            #expect(markdown.text.hasPrefix("# "))
        }
    }

    @Test func deleteCancelsAndAnswersTheSnapshot() async throws {
        try await withAPI { client, _ in
            let id = try await client.submitExample()
            let response = try await client.execute(uri: "/v1/assessments/\(id)", method: .delete)
            #expect(response.status == .ok)
            #expect(try response.decode(AssessmentBody.self).status == "cancelled")
            let report = try await client.execute(uri: "/v1/assessments/\(id)/report", method: .get)
            #expect(report.status == .conflict)
        }
    }

    @Test func listPagesNewestFirstUntilTheLastPage() async throws {
        try await withAPI { client, service in
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await client.submitExample()) }
            try await service.step(ids[1])

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/assessments?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .ok)
                #expect(response.object.keys.contains("next"))
                let page = try response.decode(AssessmentListBody.self)
                #expect(page.items.count <= 2)
                seen += page.items.map(\.id)
                cursor = page.next
                pages += 1
            } while cursor != nil
            #expect(seen == ids.reversed())
            #expect(pages == 3)

            let running = try await client.execute(uri: "/v1/assessments?status=running", method: .get)
            #expect(try running.decode(AssessmentListBody.self).items.map(\.id) == [ids[1]])
            let several = try await client.execute(uri: "/v1/assessments?status=running,queued&limit=10", method: .get)
            #expect(try several.decode(AssessmentListBody.self).items.count == 5)
        }
    }

    @Test(arguments: [
        ("status=done", "status"), ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=100000", "limit"),
        ("cursor=", "cursor"),
    ])
    func badListQueryIs400(query: String, field: String) async throws {
        try await withAPI { client, _ in
            let response = try await client.execute(uri: "/v1/assessments?\(query)", method: .get)
            #expect(response.status == .badRequest)
            #expect(try response.decode(ErrorBody.self).error.details.map(\.field) == [field])
        }
    }

    @Test func cursorTheServiceRejectsIs400() async throws {
        try await withAPI { client, _ in
            let response = try await client.execute(uri: "/v1/assessments?cursor=not-a-cursor", method: .get)
            #expect(response.status == .badRequest)
        }
    }
}
