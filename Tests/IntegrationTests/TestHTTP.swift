import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Polls `condition` until it holds or `timeout` passes; a throw counts as "not yet".
func eventually(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(100),
    _ condition: () async throws -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: interval)
    }
    return false
}

/// A small HTTP client over AsyncHTTPClient, only ever to 127.0.0.1, sending a bearer token when
/// given one (HTTPEndToEndTests has its own, which always sends its cluster's).
enum Web {
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }

        func field(_ name: String) throws -> String {
            let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            guard let value = object?[name] as? String else { throw Failure(reply: self) }
            return value
        }

        func integer(_ name: String) throws -> Int {
            let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            guard let value = object?[name] as? Int else { throw Failure(reply: self) }
            return value
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let reply: Reply
        var description: String { "HTTP \(reply.status): \(reply.text)" }
    }

    static func send(_ method: HTTPMethod, _ url: String, body: Data? = nil, token: String? = nil) async throws
        -> Reply
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    static func get(_ url: String, token: String? = nil) async throws -> Reply {
        try await send(.GET, url, token: token)
    }

    /// The value of the sample `name` (labels included, as Prometheus prints them) in /metrics text.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}
