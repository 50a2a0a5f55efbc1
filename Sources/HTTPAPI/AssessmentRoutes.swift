import Assessment
import FoundationEssentials
import HTTPTypes
import Hummingbird
import Logging

/// The handlers of `/v1/assessments…`: each turns a request into typed values, asks the service,
/// and turns the answer or the `ServiceError` into one response.
struct AssessmentRoutes: Sendable {
    let service: any AssessmentService
    let settings: HTTPSettings
    let admission: AdmissionGate
    let token: BearerToken?
    let metrics: APIMetrics

    func submit(_ request: Request, context: some RequestContext) async -> Response {
        if let refusal = authorize(request, context: context) {
            metrics.submission("unauthorized")
            return refusal
        }
        // Not for a keyed request: it may be the retry of an assessment already accepted, which only
        // its owner can tell, and which must not be refused.
        if request.headers[.idempotencyKey] == nil, let reason = service.submissionRefusal() {
            metrics.submission("overloaded")
            return await refuseForBacklog(reason)
        }
        guard admission.tryEnter() else {
            metrics.submission("overloaded")
            context.logger.notice("submission refused: admission queue full", metadata: ["limit": "\(admission.limit)"])
            return JSONResponse.serviceError(.overloaded(retryAfterSeconds: settings.retryAfterSeconds))
        }
        metrics.admission(inFlight: admission.current)
        let outcome = await admitted(request, context: context)
        admission.leave()
        metrics.admission(inFlight: admission.current)
        switch outcome {
        case .answer(let response): return response
        // Held outside the admission queue, whose slots are for submissions being worked on.
        case .backlogFull(let reason): return await refuseForBacklog(reason)
        }
    }

    private enum Admitted {
        case answer(Response)
        case backlogFull(String)
    }

    /// A submission inside the admission queue: read, validated, handed to the service.
    private func admitted(_ request: Request, context: some RequestContext) async -> Admitted {
        let body: Data
        switch await readBody(request) {
        case .success(let data): body = data
        case .failure(let refusal):
            metrics.submission("too_large")
            return .answer(refusal.response)
        }
        do {
            _ = try RequestValidator.validate(body)
        } catch {
            metrics.submission("invalid")
            return .answer(
                JSONResponse.error(
                    .badRequest, code: "invalid_request", message: "the request has \(error.errors.count) problem(s)",
                    details: error.errors.map { ErrorBody.Detail(field: $0.field, problem: $0.problem) }))
        }

        let key = request.headers[.idempotencyKey]
        let receipt: SubmitReceipt
        do {
            receipt = try await service.submit(request: body, idempotencyKey: key)
        } catch {
            metrics.submission(Self.outcome(of: error))
            context.logger.warning("submission not accepted", metadata: ["reason": "\(error)"])
            if case .overloaded(_, let reason) = error {
                return .backlogFull(reason ?? "the cluster is at its backlog limit; retry later")
            }
            return .answer(JSONResponse.serviceError(error))
        }
        metrics.submission(receipt.existing ? "duplicate" : "accepted")
        var logger = context.logger
        logger[metadataKey: "assessment.id"] = "\(receipt.id)"
        logger.info("assessment submitted", metadata: ["existing": "\(receipt.existing)"])
        var headers = HTTPFields()
        headers[.location] = "/v1/assessments/\(receipt.id)"
        return .answer(
            JSONResponse.make(
                .accepted, SubmittedBody(id: receipt.id, status: receipt.state.rawValue), headers: headers))
    }

    /// With this API's Retry-After (the service does not know it), after `backlogRefusalHold`.
    private func refuseForBacklog(_ reason: String) async -> Response {
        try? await Task.sleep(for: settings.backlogRefusalHold)
        return JSONResponse.serviceError(.overloaded(retryAfterSeconds: settings.retryAfterSeconds, reason: reason))
    }

    func get(_ request: Request, context: some RequestContext) async -> Response {
        let id = context.parameters.get("id") ?? ""
        do {
            return JSONResponse.make(.ok, AssessmentBody(try await service.assessment(id: id)))
        } catch {
            return JSONResponse.serviceError(error)
        }
    }

    func report(_ request: Request, context: some RequestContext) async -> Response {
        let id = context.parameters.get("id") ?? ""
        let formatName = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard let format = ReportRenderer.Format(rawValue: formatName) else {
            return JSONResponse.error(
                .badRequest, code: "invalid_request", message: "unknown report format",
                details: [.init(field: "format", problem: "must be one of json, markdown, html")])
        }
        let json: Data
        do {
            json = try await service.report(id: id)
        } catch {
            return JSONResponse.serviceError(error)
        }
        do {
            let rendered = try ReportRenderer.render(reportJSON: json, as: format)
            return JSONResponse.data(.ok, rendered, contentType: Self.contentType(of: format))
        } catch {
            var logger = context.logger
            logger[metadataKey: "assessment.id"] = "\(id)"
            logger.error("stored report does not render", metadata: ["format": "\(formatName)", "error": "\(error)"])
            return JSONResponse.error(
                .internalServerError, code: "internal", message: "the stored report is unreadable")
        }
    }

    func cancel(_ request: Request, context: some RequestContext) async -> Response {
        if let refusal = authorize(request, context: context) { return refusal }
        let id = context.parameters.get("id") ?? ""
        var logger = context.logger
        logger[metadataKey: "assessment.id"] = "\(id)"
        do {
            let snapshot = try await service.cancel(id: id)
            logger.info("assessment cancel requested", metadata: ["status": "\(snapshot.state.rawValue)"])
            return JSONResponse.make(.ok, AssessmentBody(snapshot))
        } catch {
            return JSONResponse.serviceError(error)
        }
    }

    func list(_ request: Request, context: some RequestContext) async -> Response {
        let query: ListQuery
        switch ListQuery.parse(
            request.uri.queryParameters, defaultLimit: settings.defaultPageSize, maxLimit: settings.maxPageSize)
        {
        case .success(let parsed): query = parsed
        case .failure(let problems):
            return JSONResponse.error(
                .badRequest, code: "invalid_request", message: "invalid query", details: problems.details)
        }
        do {
            let page = try await service.list(statuses: query.statuses, limit: query.limit, cursor: query.cursor)
            return JSONResponse.make(
                .ok, AssessmentListBody(items: page.items.map(AssessmentBody.init), next: page.next))
        } catch {
            return JSONResponse.serviceError(error)
        }
    }

    /// nil when the request may go on; otherwise the 401 to send. The token itself is never logged.
    func authorize(_ request: Request, context: some RequestContext) -> Response? {
        guard let token, !token.accepts(request.headers) else { return nil }
        context.logger.notice("request without a valid bearer token refused")
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return JSONResponse.error(
            .unauthorized, code: "unauthorized", message: "a valid bearer token is required", headers: headers)
    }

    /// The body up to the limit, or the 413 to send. A declared length over the limit is refused before reading.
    func readBody(_ request: Request) async -> Result<Data, TooLarge> {
        let tooLarge = TooLarge(
            response: JSONResponse.error(
                .contentTooLarge, code: "payload_too_large",
                message: "the request body is larger than \(settings.bodyLimit) bytes"))
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > settings.bodyLimit {
            return .failure(tooLarge)
        }
        do {
            let buffer = try await request.body.collect(upTo: settings.bodyLimit)
            return .success(Data(buffer.readableBytesView))
        } catch {
            return .failure(tooLarge)
        }
    }

    struct TooLarge: Error {
        let response: Response
    }

    static func outcome(of error: ServiceError) -> String {
        switch error {
        case .unavailable: "unavailable"
        case .overloaded: "overloaded"
        case .badRequest: "invalid"
        case .notFound, .notFinished, .failed: "failed"
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
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
