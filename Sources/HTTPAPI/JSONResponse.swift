import Assessment
import FoundationEssentials
import Hummingbird

/// Building answers: every body is JSON except reports, metrics and event streams.
enum JSONResponse {
    static func make(
        _ status: HTTPResponse.Status, _ body: some Encodable, headers: HTTPFields = [:]
    ) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encode(body))))
    }

    /// Sorted keys and unescaped slashes, byte for byte what `JSONEncoder` writes with those options
    /// (`CanonicalJSONEncoder`); status polls and progress events are most of a node's answers.
    static func encode(_ body: some Encodable) -> Data {
        // The bodies are plain structs of strings and numbers; encoding them cannot fail.
        (try? CanonicalJSONEncoder().encode(body)) ?? Data("{}".utf8)
    }

    static func error(
        _ status: HTTPResponse.Status, code: String, message: String, details: [ErrorBody.Detail] = [],
        headers: HTTPFields = [:]
    ) -> Response {
        make(status, ErrorBody(code: code, message: message, details: details), headers: headers)
    }

    static func data(_ status: HTTPResponse.Status, _ data: Data, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The one status code and error body for each way the service refuses.
    static func serviceError(_ error: ServiceError) -> Response {
        let (status, body) = describe(error)
        var headers = HTTPFields()
        if case .overloaded(let seconds, _) = error {
            headers[.retryAfter] = String(max(1, seconds))
        }
        // Every 503 is worth retrying: no quorum yet, replicas out of reach, or a rate (openapi.json).
        if case .unavailable = error { headers[.retryAfter] = "1" }
        return make(status, body, headers: headers)
    }

    static func describe(_ error: ServiceError) -> (HTTPResponse.Status, ErrorBody) {
        switch error {
        case .notFound(let id):
            return (.notFound, ErrorBody(code: "not_found", message: "no assessment \(id)"))
        case .notFinished(let id, let state):
            return (
                .conflict,
                ErrorBody(
                    code: "not_finished",
                    message: "assessment \(id) is \(state.rawValue); its report exists once it has completed")
            )
        case .unavailable(let reason):
            return (.serviceUnavailable, ErrorBody(code: "unavailable", message: reason))
        case .overloaded(_, let reason):
            return (
                .tooManyRequests,
                ErrorBody(code: "overloaded", message: reason ?? "the node is at its admission limit; retry later")
            )
        case .badRequest(let message):
            return (.badRequest, ErrorBody(code: "invalid_request", message: message))
        case .failed(let message):
            return (.internalServerError, ErrorBody(code: "internal", message: message))
        case .keyReused(let key):
            return (
                .unprocessableContent,
                ErrorBody(
                    code: "idempotency_key_reused",
                    message: "Idempotency-Key \"\(key)\" was used for a different request; use a new key",
                    details: [.init(field: "Idempotency-Key", problem: "already used for a different request")])
            )
        }
    }
}
