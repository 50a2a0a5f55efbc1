import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HTTPAPI

/// What a submission's body may cost a node (docs/security.md, "Request bodies"), and what a 5xx
/// may say (docs/security.md, "Server errors").
@Suite("Hostile bodies")
struct HostileBodyTests {
    /// The review's probe at the default limit: a body of `[0,0,…]` in a `uniqueItems` array with
    /// `maxItems` 7. Its 400 listed every item, each with the whole list of markets (143.8 MB for a
    /// 1 MB body); now it says once that the array is too long.
    @Test func aBodyOfDuplicatesAnswersASmall400() async throws {
        let settings = HTTPSettings()
        #expect(settings.bodyLimit == 262_144)
        let head = Data(#"{"business":{"company_size":"small","industry":"retail","geographic_regions":["#.utf8)
        let tail = Data(#"0]},"technical":{"workload_types":["web_application"]}}"#.utf8)
        let items = (settings.bodyLimit - head.count - tail.count) / 2
        var built = head
        built.append(contentsOf: [UInt8](repeating: 0, count: items * 2).indices.map { $0 % 2 == 0 ? 0x30 : 0x2C })
        built.append(tail)
        let body = built
        #expect(body.count > settings.bodyLimit - 2 && body.count <= settings.bodyLimit)
        try await withAPI(settings: Fixtures.settings { $0.bodyLimit = settings.bodyLimit }) { client, _ in
            let response = try await client.submit(body)
            #expect(response.status == .badRequest)
            #expect(response.body.readableBytes < 64 << 10, "\(response.body.readableBytes) bytes")
            let answer = try response.decode(ErrorBody.self)
            #expect(answer.error.details.count <= 51)
            #expect(
                answer.error.details == [
                    .init(field: "business.geographic_regions", problem: "must have at most 7 items (got \(items + 1))")
                ])
        }
    }

    @Test func manyProblemsAreCappedWithACount() async throws {
        let unknown = (0..<5000).map { #""field_\#($0)":0"# }.joined(separator: ",")
        let body = Data(#"{\#(unknown)}"#.utf8)
        try await withAPI { client, _ in
            let response = try await client.submit(body)
            #expect(response.status == .badRequest)
            let answer = try response.decode(ErrorBody.self)
            #expect(answer.error.message == "the request has 5002 problem(s)")
            #expect(answer.error.details.count == 51)
            #expect(answer.error.details.last == .init(field: "$", problem: "and 4952 more problems"))
        }
    }

    @Test(arguments: [
        ("application/json", true), ("application/json; charset=utf-8", true), ("Application/JSON;charset=UTF-8", true),
        ("application/json; charset=\"utf-8\"", true), ("text/plain", false),
        ("application/x-www-form-urlencoded", false), ("application/json; charset=iso-8859-1", false),
        ("application/json-patch+json", false), ("multipart/form-data; boundary=x", false),
    ])
    func aSubmissionMustBeJSON(contentType: String, accepted: Bool) async throws {
        try await withAPI { client, _ in
            let response = try await client.submit(try Fixtures.example(), headers: [.contentType: contentType])
            if accepted {
                #expect(response.status == .accepted, "\(contentType)")
            } else {
                #expect(response.status == .unsupportedMediaType, "\(contentType)")
                #expect(response.errorCode == "unsupported_media_type")
                #expect(try response.decode(ErrorBody.self).error.details.map(\.field) == ["Content-Type"])
            }
        }
    }

    @Test func aSubmissionWithoutContentTypeIs415() async throws {
        try await withAPI { client, _ in
            let response = try await client.execute(
                uri: "/v1/assessments", method: .post, body: ByteBuffer(bytes: try Fixtures.example()))
            #expect(response.status == .unsupportedMediaType)
            #expect(response.errorCode == "unsupported_media_type")
        }
    }

    /// Validation runs on the HTTP layer's own thread: not an event loop, not the cooperative pool
    /// that the membership protocol's timers need.
    @Test func bodiesAreValidatedOnTheirOwnThread() async throws {
        let validation = BodyValidation()
        let thread = try await validation.onItsThread {
            // Linux's name of the calling thread, as NIO set it with pthread_setname_np.
            (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        // NIOThreadPool names its threads TP-#0, TP-#1…; event loops are NIO-ELT-…, Swift's
        // cooperative pool's threads are not named so.
        #expect(thread == "TP-#0")
        #expect(try await validation.validate(Data("{}".utf8)).isFailure)
    }

    /// Stopped with the server (a service of its `Application`): afterwards nothing runs on it.
    @Test func theValidationThreadStopsWithTheServer() async throws {
        let validation = BodyValidation()
        try await validation.shutDown()
        await #expect(throws: (any Error).self) { try await validation.validate(Data("{}".utf8)) }
    }

    @Test func aServerFailureSaysNothingOfItsCause() async throws {
        let service = EngineBackedService()
        await service.setListFailure(.failed("SQLITE_IOERR: disk I/O error in /var/lib/inframind/node-1.db"))
        try await withAPI(service) { client, _ in
            let response = try await client.execute(uri: "/v1/assessments", method: .get)
            #expect(response.status == .internalServerError)
            let id = try #require(response.headers[.requestID])
            #expect(!id.isEmpty)
            let body = try response.decode(ErrorBody.self)
            #expect(body.error.code == "internal")
            #expect(body.error.message == "internal error (request id \(id))")
            #expect(!response.text.contains("SQLITE") && !response.text.contains("/var/lib"))
        }
        await service.setListFailure(nil)
        await service.setUnavailable("listing failed: SQLITE_BUSY on /var/lib/inframind/node-1.db")
        try await withAPI(service) { client, _ in
            let response = try await client.submit(try Fixtures.example())
            #expect(response.status == .serviceUnavailable)
            #expect(response.errorCode == "unavailable")
            #expect(!response.text.contains("SQLITE") && !response.text.contains("/var/lib"))
            #expect(response.headers[.requestID] != nil)
        }
    }

    /// Below 500 an answer still says what is wrong: it is about the client's request.
    @Test func clientErrorsKeepTheirMessage() async throws {
        try await withAPI { client, _ in
            let response = try await client.execute(uri: "/v1/assessments/no-such", method: .get)
            #expect(response.status == .notFound)
            #expect(try response.decode(ErrorBody.self).error.message == "no assessment no-such")
            #expect(response.headers[.requestID] == nil)
        }
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
