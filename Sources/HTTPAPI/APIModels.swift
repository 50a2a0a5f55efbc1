import FoundationEssentials

/// The JSON bodies of openapi.json, shared within the package so that the CLI decodes exactly what the server encodes.
/// Field names are spelled out in `CodingKeys` because they are the contract, not a naming strategy.
package struct AssessmentBody: Codable, Sendable, Hashable {
    package struct Progress: Codable, Sendable, Hashable {
        package var percent: Int
        package var step: String?
        package var agents: [Agent]

        package init(percent: Int, step: String?, agents: [Agent]) {
            self.percent = percent
            self.step = step
            self.agents = agents
        }

        // `step` is part of the contract even when there is none yet, so it is written as null.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(percent, forKey: .percent)
            try container.encode(step, forKey: .step)
            try container.encode(agents, forKey: .agents)
        }

        enum CodingKeys: String, CodingKey { case percent, step, agents }
    }

    package struct Agent: Codable, Sendable, Hashable {
        package var name: String
        package var state: String
        package var attempts: Int
        package var node: String?
        /// RFC 3339 times of the latest attempt's start and finish, as the owner recorded them.
        package var startedAt: String?
        package var finishedAt: String?

        package init(
            name: String, state: String, attempts: Int, node: String?, startedAt: String? = nil,
            finishedAt: String? = nil
        ) {
            self.name = name
            self.state = state
            self.attempts = attempts
            self.node = node
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }

        // A waiting agent has no node and no times; null says so more plainly than a missing key.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(node, forKey: .node)
            try container.encode(startedAt, forKey: .startedAt)
            try container.encode(finishedAt, forKey: .finishedAt)
        }

        enum CodingKeys: String, CodingKey {
            case name, state, attempts, node
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }
    }

    package var id: String
    package var status: String
    package var progress: Progress
    package var createdAt: String
    package var updatedAt: String
    /// Present only when the assessment failed.
    package var error: String?
    /// Present only as "archive", when the archive answered for a cluster that no longer holds it.
    package var source: String?
    /// The request's title, when it has one.
    package var title: String?

    enum CodingKeys: String, CodingKey {
        case id, status, progress, error, source, title
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    package init(_ snapshot: AssessmentSnapshot) {
        id = snapshot.id
        status = snapshot.state.rawValue
        progress = Progress(
            percent: snapshot.percent, step: snapshot.step,
            agents: snapshot.agents.map {
                Agent(
                    name: $0.name, state: $0.state, attempts: $0.attempts, node: $0.node,
                    startedAt: $0.startedAt.map(APIDate.format), finishedAt: $0.finishedAt.map(APIDate.format))
            })
        createdAt = APIDate.format(snapshot.createdAt)
        updatedAt = APIDate.format(snapshot.updatedAt)
        error = snapshot.state == .failed ? (snapshot.failure ?? "failed") : nil
        source = snapshot.source
        title = snapshot.title
    }
}

/// 202 answer to a submission.
package struct SubmittedBody: Codable, Sendable, Hashable {
    package var id: String
    package var status: String

    package init(id: String, status: String) {
        self.id = id
        self.status = status
    }
}

/// One page of a listing; `next` (the cursor of the following page) is null on the last page.
package struct PageBody<Item: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    package var items: [Item]
    package var next: String?

    package init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next, forKey: .next)
    }

    enum CodingKeys: String, CodingKey { case items, next }
}

/// One page of `GET /v1/assessments`.
package typealias AssessmentListBody = PageBody<AssessmentBody>

package struct ClusterBody: Codable, Sendable, Hashable {
    package struct Member: Codable, Sendable, Hashable {
        package var id: String
        package var clusterAddress: String
        package var httpAddress: String?
        package var status: String
        package var incarnation: UInt64

        enum CodingKeys: String, CodingKey {
            case id, status, incarnation
            case clusterAddress = "cluster_address"
            case httpAddress = "http_address"
        }

        package init(id: String, clusterAddress: String, httpAddress: String?, status: String, incarnation: UInt64) {
            self.id = id
            self.clusterAddress = clusterAddress
            self.httpAddress = httpAddress
            self.status = status
            self.incarnation = incarnation
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(clusterAddress, forKey: .clusterAddress)
            try container.encode(httpAddress, forKey: .httpAddress)
            try container.encode(status, forKey: .status)
            try container.encode(incarnation, forKey: .incarnation)
        }
    }

    package var `self`: String
    package var members: [Member]

    package init(_ snapshot: ClusterSnapshot) {
        self.`self` = snapshot.selfID
        members = snapshot.members.map {
            Member(
                id: $0.id, clusterAddress: $0.clusterAddress, httpAddress: $0.httpAddress, status: $0.status,
                incarnation: $0.incarnation)
        }
    }
}

/// `{"error":{"code","message","details":[{"field","problem"}]}}`, the one shape of every error answer.
package struct ErrorBody: Codable, Sendable, Hashable, Error {
    package struct Detail: Codable, Sendable, Hashable {
        package var field: String
        package var problem: String

        package init(field: String, problem: String) {
            self.field = field
            self.problem = problem
        }
    }

    package struct Content: Codable, Sendable, Hashable {
        package var code: String
        package var message: String
        package var details: [Detail]
    }

    package var error: Content

    package init(code: String, message: String, details: [Detail] = []) {
        error = Content(code: code, message: message, details: details)
    }
}

/// `GET /v1/session`: whether a token is configured and whether the one sent (if any) may write.
package struct SessionBody: Codable, Sendable, Hashable {
    package var tokenRequired: Bool
    package var canSubmit: Bool
    /// The role and tenant of the token sent, when it is one the node accepts (always, when open).
    package var role: String?
    package var tenant: String?

    enum CodingKeys: String, CodingKey {
        case tokenRequired = "token_required"
        case canSubmit = "can_submit"
        case role, tenant
    }

    package init(tokenRequired: Bool, canSubmit: Bool, role: String? = nil, tenant: String? = nil) {
        self.tokenRequired = tokenRequired
        self.canSubmit = canSubmit
        self.role = role
        self.tenant = tenant
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokenRequired, forKey: .tokenRequired)
        try container.encode(canSubmit, forKey: .canSubmit)
        try container.encode(role, forKey: .role)
        try container.encode(tenant, forKey: .tenant)
    }
}

/// `GET /v1/whoami`: what the token sent may do.
package struct WhoAmIBody: Codable, Sendable, Hashable {
    package var role: String
    package var tenant: String
    package var label: String?

    package init(role: String, tenant: String, label: String?) {
        self.role = role
        self.tenant = tenant
        self.label = label
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(label, forKey: .label)
    }

    enum CodingKeys: String, CodingKey { case role, tenant, label }
}

/// Readiness as `GET /readyz` reports it (200 when ready, 503 otherwise).
package struct ReadinessBody: Codable, Sendable, Hashable {
    package var ready: Bool
    package var reasons: [String]

    package init(ready: Bool, reasons: [String]) {
        self.ready = ready
        self.reasons = reasons
    }
}

/// ISO 8601 with milliseconds in UTC: sortable as text and precise enough to order progress updates.
package enum APIDate {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    package static func format(_ date: Date) -> String { style.format(date) }

    package static func parse(_ text: String) -> Date? { try? style.parse(text) }
}
