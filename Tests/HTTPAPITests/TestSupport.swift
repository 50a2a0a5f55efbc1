import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

enum Fixtures {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func example(_ name: String = "healthcare-startup-7b") throws -> Data {
        try Data(contentsOf: repoRoot.appendingPathComponent("examples/\(name).json"))
    }

    static func settings(_ change: (inout HTTPSettings) -> Void = { _ in }) -> HTTPSettings {
        var settings = HTTPSettings(host: "127.0.0.1", port: 0)
        change(&settings)
        return settings
    }
}

/// Runs `body` against the API in process (Hummingbird's router test client, no sockets).
func withAPI<T: Sendable>(
    _ service: EngineBackedService = EngineBackedService(), settings: HTTPSettings = Fixtures.settings(),
    _ body: @Sendable (any TestClientProtocol, EngineBackedService) async throws -> T
) async throws -> T {
    var logger = Logger(label: "http-test")
    logger.logLevel = .critical
    let app = HTTPServer.make(service: service, settings: settings, logger: logger)
    return try await app.test(.router) { client in try await body(client, service) }
}

extension TestClientProtocol {
    /// As JSON unless `headers` name another Content-Type (a submission must be JSON).
    func submit(_ body: Data, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: "/v1/assessments", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// Submits the example and returns the new id.
    func submitExample(headers: HTTPFields = [:]) async throws -> String {
        let response = try await submit(try Fixtures.example(), headers: headers)
        #expect(response.status == .accepted)
        return try response.decode(SubmittedBody.self).id
    }
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }

    var text: String { String(buffer: body) }

    /// The body as loose JSON, to check which keys are present (null included).
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    var errorCode: String? { (try? decode(ErrorBody.self))?.error.code }
}
