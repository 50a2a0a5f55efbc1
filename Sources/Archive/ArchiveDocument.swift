import Assessment
import CMongoc
import FoundationEssentials
import Storage

/// The document archived for one finished assessment (docs/archive.md lists its fields).
package struct ArchiveDocument: Sendable, Hashable {
    package struct Agent: Sendable, Hashable {
        package var name: String
        package var state: String
        package var attempts: Int
        package var node: String?
        /// When its latest attempt started, when the owner recorded that.
        package var startedAt: Date? = nil
        /// When its result was journaled, if it has one.
        package var finishedAt: Date?
    }

    package var id: String
    package var epoch: Int
    package var version: Int
    package var status: String
    package var createdAt: Date
    package var updatedAt: Date
    /// The request's JSON as submitted; stored as an embedded document.
    package var request: Data
    /// The report's JSON; stored as an embedded document (queryable), or as a GridFS file when the
    /// document would pass MongoDB's 16 MiB limit.
    package var report: Data?
    /// The report's `summary` as JSON, kept in the document beside a GridFS file so that the listing's
    /// filters (`report.summary.recommended_provider`) still find it.
    var reportSummary: String?
    package var failure: String?
    package var agents: [Agent]
    /// The owner that made the state final.
    package var node: String
    package var replicaSet: [String]
    package var catalogVersion: String
    package var engineVersion: String
    package var archivedBy: String
    /// The tenant that submitted it: archive reads obey the same tenants as the cluster's (docs/security.md).
    package var tenant: String
    package var archivedAt: Date

    /// The tenant of records stored before tenants existed, as the cluster counts them (the HTTP
    /// API's `Caller.defaultTenant`); a document without a `tenant` field is this tenant's too.
    package static let defaultTenant = "default"

    /// The record and journal as a node's store holds them. The catalog and engine versions are the
    /// report's; an assessment that failed or was cancelled has no report, and gets this binary's,
    /// which is what ran it unless the cluster was upgraded meanwhile.
    package init(record: AssessmentRecord, results: [Storage.AgentResult], archivedBy: String, at: Date)
        throws(ArchiveError)
    {
        id = record.id
        epoch = record.epoch
        version = record.version
        status = record.status.rawValue
        createdAt = record.createdAt
        updatedAt = record.updatedAt
        // Nodes keep the request in its binary form (docs/performance.md, "The data path"); the
        // archive holds the JSON document that queries read (`request.business.industry`).
        do {
            request = try AssessmentRequest.json(storedForm: record.request)
        } catch {
            throw .badDocument("the stored request of \(record.id) does not decode: \(error)")
        }
        if record.status == .completed, let stored = record.report {
            do {
                report = try StoredReport.json(stored: stored)
            } catch {
                throw .badDocument("the stored report of \(record.id) does not decode: \(error)")
            }
        } else {
            report = nil
        }
        failure = record.failure
        let finished = Dictionary(results.map { ($0.agent, $0.recordedAt) }, uniquingKeysWith: { first, _ in first })
        agents = record.progress.agents.map {
            Agent(
                name: $0.agent, state: $0.state.rawValue, attempts: $0.attempt, node: $0.node,
                startedAt: $0.startedAt, finishedAt: $0.finishedAt ?? finished[$0.agent])
        }
        node = record.replicaSet.first ?? archivedBy
        replicaSet = record.replicaSet
        var catalog = (try? Catalog.shipped().version) ?? "unknown"
        var engine = AssessmentEngine.engineVersion
        if let report, case .object(let members)? = try? JSONValue.parse(report) {
            for member in members {
                if member.key == "catalog_version", case .string(let value) = member.value { catalog = value }
                if member.key == "engine_version", case .string(let value) = member.value { engine = value }
                if member.key == "summary",
                    let summary = try? CanonicalJSONEncoder().encode(EncodableJSON(member.value))
                {
                    reportSummary = String(decoding: summary, as: UTF8.self)
                }
            }
        }
        catalogVersion = catalog
        engineVersion = engine
        self.archivedBy = archivedBy
        archivedAt = at
        tenant = record.tenant ?? Self.defaultTenant
    }

    enum ReportPlacement {
        case inline
        case file(id: String, length: Int)
    }

    /// Extended JSON for libbson; the request and report are spliced in as the JSON they are.
    func json(report placement: ReportPlacement) -> String {
        typealias J = ExtendedJSON
        let attempts = agents.reduce(0) { $0 + $1.attempts }
        let finishedAt = agents.compactMap(\.finishedAt).max()
        var members: [(String, String)] = [
            ("_id", J.string(id)),
            ("epoch", J.int64(epoch)),
            ("version", J.int64(version)),
            ("status", J.string(status)),
            ("created_at", J.date(createdAt)),
            // The listing's order, ranges and cursor use this number, not the date: nx-27017 compares
            // dates with milliseconds wrongly ($lte matched later dates; docs/archive.md).
            ("created_ms", J.int64(J.milliseconds(createdAt))),
            ("updated_at", J.date(updatedAt)),
            ("request", String(decoding: request, as: UTF8.self)),
        ]
        switch (report, placement) {
        case (let report?, .inline): members.append(("report", String(decoding: report, as: UTF8.self)))
        case (_?, .file(let fileID, let length)):
            if let reportSummary { members.append(("report", J.object([("summary", reportSummary)]))) }
            members.append(
                ("report_file", J.object([("id", J.string(fileID)), ("length", J.int64(length))])))
        case (nil, _): break
        }
        members += [
            ("failure", failure.map(J.string) ?? "null"),
            (
                "agents",
                J.array(
                    agents.map { agent in
                        J.object([
                            ("name", J.string(agent.name)), ("state", J.string(agent.state)),
                            ("attempts", J.int64(agent.attempts)), ("node", agent.node.map(J.string) ?? "null"),
                            ("started_at", agent.startedAt.map(J.date) ?? "null"),
                            ("finished_at", agent.finishedAt.map(J.date) ?? "null"),
                        ])
                    })
            ),
            ("attempts", J.int64(attempts)),
            ("node", J.string(node)),
            ("replica_set", J.array(replicaSet.map(J.string))),
            (
                "timings",
                J.object([
                    (
                        "duration_ms",
                        J.int64(J.milliseconds(updatedAt) - J.milliseconds(createdAt))
                    ),
                    (
                        "agents_done_ms",
                        finishedAt.map { J.int64(J.milliseconds($0) - J.milliseconds(createdAt)) } ?? "null"
                    ),
                ])
            ),
            ("catalog_version", J.string(catalogVersion)),
            ("engine_version", J.string(engineVersion)),
            ("archived_by", J.string(archivedBy)),
            ("archived_at", J.date(archivedAt)),
            ("tenant", J.string(tenant)),
        ]
        return J.object(members)
    }
}

/// An archived assessment as read back.
package struct ArchivedAssessment: Sendable, Hashable {
    package var id: String
    package var epoch: Int
    package var version: Int
    package var status: String
    package var createdAt: Date
    package var updatedAt: Date
    package var failure: String?
    package var agents: [ArchiveDocument.Agent]
    package var node: String?
    package var catalogVersion: String?
    package var engineVersion: String?
    package var archivedAt: Date?
    /// `report.summary.recommended_provider`, for listings.
    package var recommendedProvider: String?
    /// `request.business.industry`, for listings.
    package var industry: String?
    /// Nil for a document archived before tenants existed.
    package var tenant: String?
    /// The report as the cluster serves it (see `ArchivedAssessment.canonicalReport`), when there is one.
    package var report: Data?
    /// Set when the report is a GridFS file (MongoArchive fetches it on `find`).
    var reportFileID: String?

    init(_ document: BSONDocument) throws(ArchiveError) {
        guard let id = document.string("_id"), let status = document.string("status"),
            let epoch = document.integer("epoch"), let version = document.integer("version"),
            let createdAt = document.date("created_at"), let updatedAt = document.date("updated_at")
        else { throw .badDocument("a document without _id, status, epoch, version or times: \(document.relaxedJSON)") }
        self.id = id
        self.epoch = epoch
        self.version = version
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        failure = document.string("failure")
        node = document.string("node")
        tenant = document.string("tenant")
        catalogVersion = document.string("catalog_version")
        engineVersion = document.string("engine_version")
        archivedAt = document.date("archived_at")
        agents = []
        if let list = document.document("agents") {
            var index = 0
            while let agent = list.document(String(index)) {
                agents.append(
                    ArchiveDocument.Agent(
                        name: agent.string("name") ?? "?", state: agent.string("state") ?? "?",
                        attempts: agent.integer("attempts") ?? 0, node: agent.string("node"),
                        startedAt: agent.date("started_at"), finishedAt: agent.date("finished_at")))
                index += 1
            }
        }
        let report = document.document("report")
        recommendedProvider = report?.document("summary")?.string("recommended_provider")
        industry = document.document("request")?.document("business")?.string("industry")
        reportFileID = document.document("report_file")?.string("id")
        if let report, report.document("sections") != nil {
            self.report = try Self.canonicalReport(report.relaxedJSON)
        }
    }

    /// The report's bytes as the cluster serves them (ReportRenderer.json: sorted keys, pretty, a final
    /// newline) from the embedded document. libbson prints doubles with 20 significant digits
    /// (6421.99 comes back as 6421.9899999999997817); read as Double and written by the same encoder
    /// as the report, each is the number it was, so the bytes are the cluster's.
    static func canonicalReport(_ relaxed: String) throws(ArchiveError) -> Data {
        let value: JSONValue
        do { value = try JSONValue.parse(Data(relaxed.utf8)) } catch {
            throw .badDocument("report: \(error)")
        }
        do {
            var data = try CanonicalJSONEncoder(prettyPrinted: true).encode(EncodableJSON(value))
            data.append(0x0A)
            return data
        } catch {
            throw .badDocument("report: \(error)")
        }
    }
}

/// A parsed JSON value written back through an `Encoder`.
private struct EncodableJSON: Encodable {
    let value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch value {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .number(let literal, let double):
            var container = encoder.singleValueContainer()
            if let integer = Int64(literal) {
                try container.encode(integer)
            } else {
                try container.encode(double)
            }
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(EncodableJSON(item)) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for member in members {
                try container.encode(EncodableJSON(member.value), forKey: Key(stringValue: member.key))
            }
        }
    }
}

/// The listing's typed filters; `query` is the only way a filter reaches MongoDB.
package struct ArchiveFilter: Sendable, Hashable {
    package var industry: String?
    package var provider: String?
    package var statuses: [String]
    package var from: Date?
    package var to: Date?
    package var limit: Int
    package var cursor: ArchiveCursor?
    /// Only this tenant's documents, when set; the default tenant's include those archived before
    /// documents carried a tenant (`ArchiveDocument.defaultTenant`), as the cluster counts such records.
    package var tenant: String?

    package init(
        industry: String? = nil, provider: String? = nil, statuses: [String] = [], from: Date? = nil, to: Date? = nil,
        limit: Int = 50, cursor: ArchiveCursor? = nil, tenant: String? = nil
    ) {
        self.tenant = tenant
        self.industry = industry
        self.provider = provider
        self.statuses = statuses
        self.from = from
        self.to = to
        self.limit = limit
        self.cursor = cursor
    }

    /// Equality on strings the caller typed, ranges on dates; never an operator from outside.
    var query: String {
        typealias J = ExtendedJSON
        var clauses: [String] = []
        if let tenant {
            let value =
                tenant == ArchiveDocument.defaultTenant
                ? J.object([("$in", J.array([J.string(tenant), "null"]))]) : J.string(tenant)
            clauses.append(J.object([("tenant", value)]))
        }
        if let industry { clauses.append(J.object([("request.business.industry", J.string(industry))])) }
        if let provider { clauses.append(J.object([("report.summary.recommended_provider", J.string(provider))])) }
        if !statuses.isEmpty {
            clauses.append(J.object([("status", J.object([("$in", J.array(statuses.map(J.string)))]))]))
        }
        if let from {
            clauses.append(J.object([("created_ms", J.object([("$gte", J.int64(J.milliseconds(from)))]))]))
        }
        if let to { clauses.append(J.object([("created_ms", J.object([("$lt", J.int64(J.milliseconds(to)))]))])) }
        if let cursor {
            let time = J.int64(J.milliseconds(cursor.createdAt))
            clauses.append(
                J.object([
                    (
                        "$or",
                        J.array([
                            J.object([("created_ms", J.object([("$lt", time)]))]),
                            J.object([("created_ms", time), ("_id", J.object([("$lt", J.string(cursor.id))]))]),
                        ])
                    )
                ]))
        }
        return clauses.isEmpty ? "{}" : J.object([("$and", J.array(clauses))])
    }
}

/// Where a page of the listing ends: the last item's created time (milliseconds, MongoDB's
/// resolution) and id.
package struct ArchiveCursor: Sendable, Hashable {
    package var createdAt: Date
    package var id: String

    package init(createdAt: Date, id: String) {
        self.createdAt = Date(timeIntervalSince1970: Double(ExtendedJSON.milliseconds(createdAt)) / 1000)
        self.id = id
    }

    /// `<milliseconds>.<id>`: opaque to clients, and checked when it comes back.
    package var token: String { "\(ExtendedJSON.milliseconds(createdAt)).\(id)" }

    package init?(token: String) {
        guard let dot = token.firstIndex(of: "."), let milliseconds = Int(token[..<dot]), milliseconds >= 0 else {
            return nil
        }
        let id = String(token[token.index(after: dot)...])
        guard !id.isEmpty else { return nil }
        self.init(createdAt: Date(timeIntervalSince1970: Double(milliseconds) / 1000), id: id)
    }
}

package struct ArchivePage: Sendable, Hashable {
    package var items: [ArchivedAssessment]
    package var next: ArchiveCursor?
}
