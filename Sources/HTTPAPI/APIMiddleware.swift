import HTTPTypes
import Hummingbird
import Logging

/// Outermost: times every request by route for `/metrics`, and turns anything that escaped a handler
/// into the JSON error shape, so no answer of this API is ever an empty or HTML body.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = Self.unrouted(request)
        } catch let error as any HTTPResponseError {
            response = JSONResponse.error(error.status, code: "http_\(error.status.code)", message: "\(error.status)")
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            response = JSONResponse.error(.internalServerError, code: "internal", message: "internal error")
        }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        metrics.request(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
            nanoseconds: nanoseconds)
        return response
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
