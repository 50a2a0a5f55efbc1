import AsyncHTTPClient
import FoundationEssentials
import HTTPAPI
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The CLI's side of the HTTP API: one node's base URL, the optional bearer token, and errors that say
/// what went wrong in words a user can act on.
struct APIClient: Sendable {
    let node: String
    let token: String?
    /// The HTTP client: the shared one, or one that also trusts `--cacert`.
    private let http: HTTPClient

    /// What a command needs from an answer.
    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// `caCertificate`: a PEM file of CA certificates trusted for https URLs besides the system's
    /// (`http-ca.pem` from `inframind certs init --http-name`, docs/security.md, "HTTPS").
    init(node: String, token: String?, caCertificate: String? = nil) throws {
        var base = node
        if !base.contains("://") { base = "http://" + base }
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), url.host != nil else {
            throw ClientError.usage("--node \(node) is not a URL like http://127.0.0.1:8101")
        }
        self.node = base
        self.token = token
        http = base.hasPrefix("https://") ? try Self.client(trusting: caCertificate) : HTTPClient.shared
    }

    /// One client per CA file for the life of the process, like `HTTPClient.shared`: the CLI runs one
    /// command and exits, so nothing shuts them down.
    private static let trusting = Mutex<[String: HTTPClient]>([:])

    private static func client(trusting path: String?) throws -> HTTPClient {
        var roots: [NIOSSLCertificate] = []
        if let path {
            do {
                roots = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw ClientError.usage("--cacert \(path): cannot read a PEM certificate: \(error)")
            }
            guard !roots.isEmpty else { throw ClientError.usage("--cacert \(path) holds no certificate") }
        }
        return trusting.withLock { clients in
            if let client = clients[path ?? ""] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            if !roots.isEmpty { tls.additionalTrustRoots = [.certificates(roots)] }
            tls.minimumTLSVersion = .tlsv12
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            // A certificate nobody here trusts does not come right by retrying: say so at once rather
            // than after the connect timeout.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[path ?? ""] = client
            return client
        }
    }

    func send(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(60)
    ) async throws -> Reply {
        let response = try await execute(method, path, body: body, headers: headers, timeout: timeout)
        var buffer = try await response.body.collect(upTo: 64 << 20)
        let data = buffer.readData(length: buffer.readableBytes) ?? Data()
        return Reply(status: Int(response.status.code), headers: response.headers, body: data)
    }

    /// Like `send`, but a status outside 2xx becomes a `ClientError.http` with the server's error body.
    func expectSuccess(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = []
    ) async throws -> Reply {
        let reply = try await send(method, path, body: body, headers: headers)
        guard (200..<300).contains(reply.status) else { throw ClientError.http(reply) }
        return reply
    }

    func decode<T: Decodable>(_ type: T.Type, from reply: Reply) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: reply.body)
        } catch {
            throw ClientError.protocolError("unexpected answer from \(node): \(error)")
        }
    }

    /// The assessment's snapshots as the node streams them, ending after a final state.
    func events(id: String) -> AsyncThrowingStream<AssessmentBody, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    // Assessments can take long under load; the stream's own end, not a deadline, stops it.
                    let response = try await execute(.GET, "/v1/assessments/\(id)/events", timeout: .hours(24))
                    guard response.status.code == 200 else {
                        var buffer = try await response.body.collect(upTo: 1 << 20)
                        let data = buffer.readData(length: buffer.readableBytes) ?? Data()
                        throw ClientError.http(
                            Reply(status: Int(response.status.code), headers: response.headers, body: data))
                    }
                    var parser = ServerSentEvents()
                    for try await chunk in response.body {
                        for event in parser.feed(chunk.readableBytesView) {
                            switch event.name {
                            case "progress":
                                continuation.yield(try decode(AssessmentBody.self, from: event.reply))
                            case "error":
                                throw ClientError.http(Reply(status: 500, headers: [:], body: Data(event.data.utf8)))
                            default:
                                continue
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func execute(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = [],
        timeout: TimeAmount
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: node + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw ClientError.unreachable(node: node, reason: Self.reason(error))
        }
    }

    private static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("deadlineExceeded") { return "no answer in time" }
        // NIOSSL's words for a certificate nobody here trusts.
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("handshakeFailed") {
            return
                "TLS handshake failed (\(text)); for a certificate from `inframind certs init`, pass --cacert http-ca.pem"
        }
        return text
    }
}

extension ServerSentEvents.Event {
    fileprivate var reply: APIClient.Reply { APIClient.Reply(status: 200, headers: [:], body: Data(data.utf8)) }
}

/// Everything a client command can fail with, each printed as one plain message.
enum ClientError: Error, CustomStringConvertible {
    case usage(String)
    case unreachable(node: String, reason: String)
    case http(APIClient.Reply)
    case protocolError(String)

    var description: String {
        switch self {
        case .usage(let message), .protocolError(let message):
            return message
        case .unreachable(let node, let reason):
            return
                "cannot reach \(node): \(reason). Is a node running there? (scripts/cluster-up starts a local cluster)"
        case .http(let reply):
            guard let body = try? JSONDecoder().decode(ErrorBody.self, from: reply.body) else {
                let text = String(decoding: reply.body.prefix(2000), as: UTF8.self)
                return "the node answered \(reply.status)" + (text.isEmpty ? "" : ": \(text)")
            }
            var message = "the node answered \(reply.status) \(body.error.code): \(body.error.message)"
            for detail in body.error.details { message += "\n  \(detail.field): \(detail.problem)" }
            if let retry = reply.headers.first(name: "Retry-After") { message += "\n  retry after \(retry) s" }
            return message
        }
    }
}
