import FoundationEssentials
import Hummingbird
import HummingbirdCore

/// What the archive routes need from the node (docs/archive.md). A service that does not adopt it,
/// or says it has no archive, answers those routes with 404 `archive_not_configured`.
package protocol ArchiveReading: Sendable {
    /// Whether `archive_mongodb_uri` is set on this node.
    var archiveConfigured: Bool { get }
    /// One page of `GET /v1/archive`; `unavailable` (503) when the archive cannot be reached.
    func archiveList(_ query: ArchiveListQuery) async throws(ServiceError) -> ArchiveListBody
    func archiveStatus() async -> ArchiveStatusBody
}

/// `GET /v1/archive?industry=&provider=&status=&from=&to=&limit=&cursor=` as typed values: the
/// archive builds its query from these, never from text a client sent.
package struct ArchiveListQuery: Sendable, Hashable {
    package var industry: String?
    package var provider: String?
    package var statuses: [AssessmentState]
    package var from: Date?
    package var to: Date?
    package var limit: Int
    package var cursor: String?
    /// Only this tenant's documents, when set (every non-admin caller's listing).
    package var tenant: String? = nil

    package init(
        industry: String? = nil, provider: String? = nil, statuses: [AssessmentState] = [], from: Date? = nil,
        to: Date? = nil, limit: Int = 50, cursor: String? = nil
    ) {
        self.industry = industry
        self.provider = provider
        self.statuses = statuses
        self.from = from
        self.to = to
        self.limit = limit
        self.cursor = cursor
    }

    static func parse(_ parameters: FlatDictionary<Substring, Substring>, maxLimit: Int) -> Result<
        ArchiveListQuery, ListQuery.Problems
    > {
        var problems: [ErrorBody.Detail] = []
        var query = ArchiveListQuery()
        func text(_ name: String) -> String? {
            guard let value = parameters[Substring(name)] else { return nil }
            if value.isEmpty || value.count > 200 {
                problems.append(.init(field: name, problem: "must be 1 to 200 characters"))
                return nil
            }
            return String(value)
        }
        query.industry = text("industry")
        query.provider = text("provider")
        for value in parameters[values: "status"] {
            for name in value.split(separator: ",") {
                if let state = AssessmentState(rawValue: String(name)), state.isFinal {
                    if !query.statuses.contains(state) { query.statuses.append(state) }
                } else {
                    problems.append(
                        .init(
                            field: "status",
                            problem: "unknown final status \"\(name)\"; one of completed, failed, cancelled"))
                }
            }
        }
        for name in ["from", "to"] {
            guard let value = text(name) else { continue }
            guard let date = Self.date(value) else {
                problems.append(.init(field: name, problem: "must be a date (2026-12-01) or an ISO 8601 time in UTC"))
                continue
            }
            if name == "from" { query.from = date } else { query.to = date }
        }
        if let text = parameters["limit"] {
            if let value = Int(text), (1...maxLimit).contains(value) {
                query.limit = value
            } else {
                problems.append(.init(field: "limit", problem: "must be an integer from 1 to \(maxLimit)"))
            }
        }
        query.cursor = text("cursor")
        guard problems.isEmpty else { return .failure(ListQuery.Problems(details: problems)) }
        return .success(query)
    }

    static func date(_ text: String) -> Date? {
        if let date = APIDate.parse(text) { return date }
        let whole = Date.ISO8601FormatStyle(timeZone: .gmt)
        if let date = try? whole.parse(text) { return date }
        if text.count == 10, let date = try? whole.parse(text + "T00:00:00Z") { return date }
        return nil
    }
}

/// One archived assessment in a listing.
package struct ArchiveItemBody: Codable, Sendable, Hashable {
    package var id: String
    package var status: String
    package var createdAt: String
    package var updatedAt: String
    package var industry: String?
    package var recommendedProvider: String?
    package var node: String?
    package var epoch: Int
    package var version: Int

    package init(
        id: String, status: String, createdAt: String, updatedAt: String, industry: String?,
        recommendedProvider: String?, node: String?, epoch: Int, version: Int
    ) {
        self.id = id
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.industry = industry
        self.recommendedProvider = recommendedProvider
        self.node = node
        self.epoch = epoch
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, status, industry, node, epoch, version
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case recommendedProvider = "recommended_provider"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(industry, forKey: .industry)
        try container.encode(recommendedProvider, forKey: .recommendedProvider)
        try container.encode(node, forKey: .node)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(version, forKey: .version)
    }
}

/// One page of `GET /v1/archive`.
package typealias ArchiveListBody = PageBody<ArchiveItemBody>

/// `GET /v1/archive/status`: this node's archive writer.
package struct ArchiveStatusBody: Codable, Sendable, Hashable {
    package var configured: Bool
    /// Final states this node made and has not archived yet.
    package var pending: Int
    /// Final states other owners made, held here in case their owner cannot write them.
    package var standby: Int
    package var written: Int
    package var failed: Int
    package var dropped: Int
    package var lastSuccess: String?
    package var lastError: String?
    /// Age in seconds of the oldest final state this node made that waits for the archive; 0 when none.
    package var lagSeconds: Double

    package init(
        configured: Bool, pending: Int, standby: Int, written: Int, failed: Int, dropped: Int, lastSuccess: String?,
        lastError: String?, lagSeconds: Double
    ) {
        self.configured = configured
        self.pending = pending
        self.standby = standby
        self.written = written
        self.failed = failed
        self.dropped = dropped
        self.lastSuccess = lastSuccess
        self.lastError = lastError
        self.lagSeconds = lagSeconds
    }

    enum CodingKeys: String, CodingKey {
        case configured, pending, standby, written, failed, dropped
        case lastSuccess = "last_success"
        case lastError = "last_error"
        case lagSeconds = "lag_seconds"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(configured, forKey: .configured)
        try container.encode(pending, forKey: .pending)
        try container.encode(standby, forKey: .standby)
        try container.encode(written, forKey: .written)
        try container.encode(failed, forKey: .failed)
        try container.encode(dropped, forKey: .dropped)
        try container.encode(lastSuccess, forKey: .lastSuccess)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(lagSeconds, forKey: .lagSeconds)
    }
}

/// The handlers of `/v1/archive…`: reads, guarded like every other read, listing the caller's tenant only.
struct ArchiveRoutes: Sendable {
    let service: any AssessmentService
    let settings: HTTPSettings

    private var archive: (any ArchiveReading)? {
        guard let reading = service as? any ArchiveReading, reading.archiveConfigured else { return nil }
        return reading
    }

    private static var notConfigured: Response {
        JSONResponse.error(
            .notFound, code: "archive_not_configured",
            message: "this node has no archive (set archive_mongodb_uri; see docs/archive.md)")
    }

    func list(_ request: Request, context: APIRequestContext) async -> Response {
        guard let archive else { return Self.notConfigured }
        var query: ArchiveListQuery
        switch ArchiveListQuery.parse(request.uri.queryParameters, maxLimit: settings.maxPageSize) {
        case .success(let parsed):
            query = parsed
            query.tenant = context.caller.role == .admin ? nil : context.caller.tenant
        case .failure(let problems):
            return JSONResponse.error(
                .badRequest, code: "invalid_request", message: "invalid query", details: problems.details)
        }
        do {
            return JSONResponse.make(.ok, try await archive.archiveList(query))
        } catch {
            return JSONResponse.serviceError(error)
        }
    }

    func status(_ request: Request, context: some RequestContext) async -> Response {
        guard let archive else { return Self.notConfigured }
        return JSONResponse.make(.ok, await archive.archiveStatus())
    }
}
