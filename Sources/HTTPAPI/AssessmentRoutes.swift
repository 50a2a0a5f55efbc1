import Assessment
import FoundationEssentials
import HTTPTypes
import Hummingbird
import Logging

/// The handlers of `/v1/assessments…`: each turns a request into typed values, asks the service,
/// and answers, or throws an `APIError` that `ErrorMiddleware` writes. Who is asking was settled by
/// `AccessMiddleware` (`context.caller`); an assessment of another tenant is answered as unknown.
struct AssessmentRoutes: Sendable {
    let service: any AssessmentService
    let settings: HTTPSettings
    let admission: AdmissionGate
    let metrics: APIMetrics
    let validation: BodyValidation

    private var audit: AuditLog? { settings.auditLog }

    func submit(_ request: Request, context: APIRequestContext) async throws -> Response {
        let key: String?
        do {
            key = try Self.idempotencyKey(request.headers)
            try Self.requireJSON(request.headers)
        } catch {
            audit?.record(request, context: context, caller: context.caller, outcome: "invalid", status: error.status)
            throw error
        }
        // Not for a keyed request: it may be the retry of an assessment already accepted, which only
        // its owner can tell, and which must not be refused.
        if key == nil, let reason = service.submissionRefusal() {
            metrics.submission("overloaded")
            audit?.record(
                request, context: context, caller: context.caller, outcome: "overloaded", status: .tooManyRequests)
            throw await refuseForBacklog(reason)
        }
        guard admission.tryEnter() else {
            metrics.submission("overloaded")
            audit?.record(
                request, context: context, caller: context.caller, outcome: "overloaded", status: .tooManyRequests)
            context.logger.notice("submission refused: admission queue full", metadata: ["limit": "\(admission.limit)"])
            throw APIError(.overloaded(retryAfterSeconds: settings.retryAfterSeconds))
        }
        metrics.admission(inFlight: admission.current)
        let outcome: Result<Response, Refusal>
        do {
            outcome = .success(try await admitted(request, key: key, context: context))
        } catch {
            outcome = .failure(error)
        }
        admission.leave()
        metrics.admission(inFlight: admission.current)
        switch outcome {
        case .success(let response): return response
        // Held outside the admission queue, whose slots are for submissions being worked on.
        case .failure(.backlogFull(let reason)): throw await refuseForBacklog(reason)
        case .failure(.error(let error)): throw error
        }
    }

    private enum Refusal: Error {
        case error(APIError)
        case backlogFull(String)
    }

    /// A submission inside the admission queue: read, validated, handed to the service.
    private func admitted(_ request: Request, key: String?, context: APIRequestContext) async throws(Refusal)
        -> Response
    {
        let body: Data
        do {
            body = try await readBody(request)
        } catch {
            metrics.submission("too_large")
            audit?.record(request, context: context, caller: context.caller, outcome: "too_large", status: error.status)
            throw .error(error)
        }
        let checked: Result<AssessmentRequest, ValidationFailure>
        do {
            checked = try await validation.validate(body)
        } catch {
            context.logger.warning("submission not validated", metadata: ["error": "\(error)"])
            throw .error(APIError(ServiceError.unavailable("the node is shutting down")))
        }
        let validated: AssessmentRequest
        switch checked {
        case .success(let value): validated = value
        case .failure(let failure):
            metrics.submission("invalid")
            audit?.record(request, context: context, caller: context.caller, outcome: "invalid", status: .badRequest)
            throw .error(
                APIError(
                    .badRequest, code: "invalid_request", message: "the request has \(failure.total) problem(s)",
                    details: failure.errors.map { ErrorBody.Detail(field: $0.field, problem: $0.problem) }))
        }

        let tenant = context.caller.tenant
        let receipt: SubmitReceipt
        do {
            receipt = try await service.submit(request: validated, idempotencyKey: key, tenant: tenant)
        } catch {
            metrics.submission(Self.outcome(of: error))
            context.logger.warning("submission not accepted", metadata: ["reason": "\(error)"])
            let apiError = APIError(error)
            audit?.record(
                request, context: context, caller: context.caller, outcome: Self.outcome(of: error),
                status: apiError.status)
            if case .overloaded(_, let reason) = error {
                throw .backlogFull(reason ?? "the cluster is at its backlog limit; retry later")
            }
            throw .error(apiError)
        }
        let outcome = receipt.existing ? "duplicate" : "accepted"
        metrics.submission(outcome)
        audit?.record(
            request, context: context, caller: context.caller, id: receipt.id, outcome: outcome, status: .accepted)
        var logger = context.logger
        logger[metadataKey: "assessment.id"] = "\(receipt.id)"
        logger.info("assessment submitted", metadata: ["existing": "\(receipt.existing)", "tenant": "\(tenant)"])
        var headers = HTTPFields()
        headers[.location] = "/v1/assessments/\(receipt.id)"
        return JSONResponse.make(
            .accepted, SubmittedBody(id: receipt.id, status: receipt.state.rawValue), headers: headers)
    }

    /// With this API's Retry-After (the service does not know it), after `backlogRefusalHold`.
    private func refuseForBacklog(_ reason: String) async -> APIError {
        try? await Task.sleep(for: settings.backlogRefusalHold)
        return APIError(.overloaded(retryAfterSeconds: settings.retryAfterSeconds, reason: reason))
    }

    /// A submission is JSON and says so: `application/json`, with no parameter but `charset=utf-8`.
    /// Anything else is refused with 415 before the body is read, so a form post or a text upload from
    /// a browser page never reaches the validator (docs/security.md, "Request bodies").
    static func requireJSON(_ fields: HTTPFields) throws(APIError) {
        let refused = APIError(
            .unsupportedMediaType, code: "unsupported_media_type",
            message: "the request body must be application/json (UTF-8)",
            details: [
                .init(field: "Content-Type", problem: "must be application/json or application/json; charset=utf-8")
            ])
        guard let value = fields[.contentType] else { throw refused }
        func trimmed(_ text: Substring) -> String {
            String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                .lowercased()
        }
        let parts = value.split(separator: ";", omittingEmptySubsequences: false).map(trimmed)
        guard parts.first == "application/json" else { throw refused }
        for parameter in parts.dropFirst() where !parameter.isEmpty {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(trimmed)
            guard pair.count == 2, pair[0] == "charset", ["utf-8", "\"utf-8\""].contains(pair[1]) else {
                throw refused
            }
        }
    }

    /// At most 255 printable ASCII characters (docs/security.md, "Idempotency keys"): the key is
    /// stored on every replica and echoed in a 422.
    static func idempotencyKey(_ fields: HTTPFields) throws(APIError) -> String? {
        guard let key = fields[.idempotencyKey] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw APIError(
                .badRequest, code: "invalid_request", message: "invalid Idempotency-Key",
                details: [.init(field: "Idempotency-Key", problem: "must be 1 to 255 printable ASCII characters")])
        }
        return key
    }

    /// The assessment, if the caller's tenant may see it; another tenant's is as unknown as a
    /// missing one (404, not 403, so ids of other tenants cannot be probed).
    func visible(_ id: String, _ request: Request, context: APIRequestContext) async throws -> AssessmentSnapshot {
        let snapshot = try await service.assessment(id: id)
        guard context.caller.sees(tenant: snapshot.tenant) else {
            audit?.record(
                request, context: context, caller: context.caller, id: id, outcome: "not_found",
                status: .notFound)
            throw APIError(.notFound(id: id))
        }
        return snapshot
    }

    func get(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        return JSONResponse.make(.ok, AssessmentBody(try await visible(id, request, context: context)))
    }

    func report(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let formatName = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard let format = ReportRenderer.Format(rawValue: formatName) else {
            throw APIError(
                .badRequest, code: "invalid_request", message: "unknown report format",
                details: [.init(field: "format", problem: "must be one of json, markdown, html")])
        }
        _ = try await visible(id, request, context: context)
        let stored = try await service.report(id: id)
        do {
            let json = try StoredReport.json(stored: stored)
            let body = try ReportRenderer.render(reportJSON: json, as: format)
            guard format == .json else {
                return JSONResponse.data(.ok, body, contentType: Self.contentType(of: format))
            }
            // The JSON is about six times its size in gzip; a client that takes gzip gets that.
            var response: Response
            if ConsoleRoutes.acceptsGzip(request.headers[.acceptEncoding]) {
                response = JSONResponse.data(
                    .ok, try StoredReport.gzip(body), contentType: Self.contentType(of: format))
                response.headers[.contentEncoding] = "gzip"
            } else {
                response = JSONResponse.data(.ok, body, contentType: Self.contentType(of: format))
            }
            response.headers[.vary] = "Accept-Encoding"
            return response
        } catch {
            var logger = context.logger
            logger[metadataKey: "assessment.id"] = "\(id)"
            logger.error("stored report does not render", metadata: ["format": "\(formatName)", "error": "\(error)"])
            throw APIError(.internalServerError, code: "internal", message: "the stored report is unreadable")
        }
    }

    func cancel(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        var logger = context.logger
        logger[metadataKey: "assessment.id"] = "\(id)"
        let snapshot: AssessmentSnapshot
        do {
            _ = try await visible(id, request, context: context)
            snapshot = try await service.cancel(id: id)
        } catch let error as ServiceError {
            let apiError = APIError(error)
            audit?.record(
                request, context: context, caller: context.caller, id: id, outcome: Self.outcome(of: error),
                status: apiError.status)
            throw apiError
        }
        audit?.record(
            request, context: context, caller: context.caller, id: id, tenant: snapshot.tenant,
            outcome: snapshot.state.rawValue, status: .ok)
        logger.info("assessment cancel requested", metadata: ["status": "\(snapshot.state.rawValue)"])
        return JSONResponse.make(.ok, AssessmentBody(snapshot))
    }

    func list(_ request: Request, context: APIRequestContext) async throws -> Response {
        let query: ListQuery
        switch ListQuery.parse(
            request.uri.queryParameters, defaultLimit: settings.defaultPageSize, maxLimit: settings.maxPageSize)
        {
        case .success(let parsed): query = parsed
        case .failure(let problems):
            throw APIError(.badRequest, code: "invalid_request", message: "invalid query", details: problems.details)
        }
        let tenant = context.caller.role == .admin ? nil : context.caller.tenant
        let page = try await service.list(
            statuses: query.statuses, limit: query.limit, cursor: query.cursor, tenant: tenant, title: query.title)
        return JSONResponse.make(.ok, AssessmentListBody(items: page.items.map(AssessmentBody.init), next: page.next))
    }

    /// The body up to the limit, or the 413 to throw. A declared length over the limit is refused before reading.
    func readBody(_ request: Request) async throws(APIError) -> Data {
        let tooLarge = APIError(
            .contentTooLarge, code: "payload_too_large",
            message: "the request body is larger than \(settings.bodyLimit) bytes")
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > settings.bodyLimit {
            throw tooLarge
        }
        do {
            let buffer = try await request.body.collect(upTo: settings.bodyLimit)
            return Data(buffer.readableBytesView)
        } catch {
            throw tooLarge
        }
    }

    static func outcome(of error: ServiceError) -> String {
        switch error {
        case .unavailable: "unavailable"
        case .overloaded: "overloaded"
        case .badRequest: "invalid"
        case .notFound: "not_found"
        case .keyReused: "key_reused"
        case .notFinished, .failed: "failed"
        }
    }

    static func contentType(of format: ReportRenderer.Format) -> String {
        switch format {
        case .json: "application/json; charset=utf-8"
        case .markdown: "text/markdown; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        }
    }
}

extension HTTPField.Name {
    /// A client's name for one submission: the same key gives the same assessment id.
    package static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
