import HTTPTypes
import Hummingbird
import Logging

/// Every refusal of this API: thrown by handlers and middleware, written by `ErrorMiddleware` as the
/// one `{"error": {"code", "message", "details"}}` body of openapi.json.
package struct APIError: HTTPResponseError, Sendable {
    package let status: HTTPResponse.Status
    package let body: ErrorBody
    package let headers: HTTPFields

    package init(
        _ status: HTTPResponse.Status, code: String, message: String, details: [ErrorBody.Detail] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.body = ErrorBody(code: code, message: message, details: details)
        self.headers = headers
    }

    /// The one status code and body for each way the service refuses.
    package init(_ error: ServiceError) {
        let (status, body) = JSONResponse.describe(error)
        var headers = HTTPFields()
        if case .overloaded(let seconds, _) = error {
            headers[.retryAfter] = String(max(1, seconds))
        }
        if case .unavailable = error { headers[.retryAfter] = "1" }
        self.status = status
        self.body = body
        self.headers = headers
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status, body, headers: headers)
    }

    static var unauthorized: APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return APIError(
            .unauthorized, code: "unauthorized", message: "a valid bearer token is required", headers: headers)
    }
}

/// Renders whatever a handler or an inner middleware threw: an `APIError` as itself, Hummingbird's
/// own not-found as this API's 404/405, anything else as a 500. So no answer of this API is ever an
/// empty or HTML body. A 5xx never carries the text of what failed inside (a store's or the
/// archive's error, a peer's answer): it says what kind of failure it was and gives the request id,
/// under which the real error is logged (docs/security.md, "Server errors").
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return Self.answer(error, context: context)
        } catch let error as ServiceError {
            return Self.answer(APIError(error), context: context)
        } catch let error as HTTPError where error.status == .notFound {
            return Self.unrouted(request)
        } catch let error as any HTTPResponseError {
            return Self.answer(
                APIError(error.status, code: "http_\(error.status.code)", message: "\(error.status)"), context: context)
        } catch {
            return Self.answer(
                APIError(.internalServerError, code: "internal", message: "unhandled error: \(error)"), context: context
            )
        }
    }

    /// `error` as the client sees it: itself below 500; from 500 on, its code with a generic message
    /// and the request id (also in `X-Request-Id`), the real message going to the log under that id.
    static func answer(_ error: APIError, context: Context) -> Response {
        guard error.status.code >= 500 else {
            return JSONResponse.make(error.status, error.body, headers: error.headers)
        }
        // Hummingbird puts the id in every request's logger; a context made elsewhere may lack it.
        let id = context.logger[metadataKey: "hb.request.id"]?.description ?? "\(RequestID())"
        context.logger.error(
            "request failed",
            metadata: [
                "hb.request.id": "\(id)", "status": "\(error.status.code)", "error": "\(error.body.error.message)",
            ])
        var headers = error.headers
        headers[.requestID] = id
        return JSONResponse.error(
            error.status, code: error.body.error.code, message: "\(genericMessage(error.status)) (request id \(id))",
            headers: headers)
    }

    /// What a 5xx says instead of its error's own text.
    static func genericMessage(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .serviceUnavailable: "the service cannot answer now; retry later"
        case .internalServerError: "internal error"
        default: "the server failed to answer"
        }
    }

    /// No route has this method and path: 405 (with `Allow`) when the path exists under another method,
    /// otherwise 404.
    static func unrouted(_ request: Request) -> Response {
        let path = request.uri.path
        let allowed = APIRoute.all.filter { $0.matches(path: path) }.map(\.method)
        guard allowed.isEmpty else {
            var headers = HTTPFields()
            headers[.allow] = allowed.joined(separator: ", ")
            return JSONResponse.error(
                .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method.rawValue) is not allowed on \(path)", headers: headers)
        }
        return JSONResponse.error(.notFound, code: "route_not_found", message: "no route \(path)")
    }
}

extension HTTPField.Name {
    /// The id a 5xx answer and the log line with its real error share.
    package static let requestID = HTTPField.Name("X-Request-Id")!
}

/// Times every request by route for `/metrics`, with the status the client got (errors included:
/// it sits outside `ErrorMiddleware`).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            let nanoseconds =
                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            metrics.request(
                route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status,
                nanoseconds: nanoseconds)
        }
        let response = try await next(request, context)
        status = response.status.code
        return response
    }
}
