/// Every route of the API, in OpenAPI path syntax. The router is built from this table and the
/// OpenAPI document is tested against it, so the three cannot drift apart.
package struct APIRoute: Sendable, Hashable, CustomStringConvertible {
    package let method: String
    package let path: String

    package init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    package var description: String { "\(method) \(path)" }

    /// Hummingbird's spelling of the same path (`{id}` becomes `:id`).
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    /// True when `requestPath` would be served by this route's path (any method).
    func matches(path requestPath: String) -> Bool {
        let pattern = path.split(separator: "/")
        let actual = requestPath.split(separator: "/")
        guard pattern.count == actual.count else { return false }
        return zip(pattern, actual).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }

    package static let submit = APIRoute(method: "POST", path: "/v1/assessments")
    package static let list = APIRoute(method: "GET", path: "/v1/assessments")
    package static let get = APIRoute(method: "GET", path: "/v1/assessments/{id}")
    package static let cancel = APIRoute(method: "DELETE", path: "/v1/assessments/{id}")
    package static let report = APIRoute(method: "GET", path: "/v1/assessments/{id}/report")
    package static let events = APIRoute(method: "GET", path: "/v1/assessments/{id}/events")
    package static let cluster = APIRoute(method: "GET", path: "/v1/cluster")
    package static let clusterStats = APIRoute(method: "GET", path: "/v1/cluster/stats")
    package static let session = APIRoute(method: "GET", path: "/v1/session")
    package static let schema = APIRoute(method: "GET", path: "/v1/schema")
    package static let healthz = APIRoute(method: "GET", path: "/healthz")
    package static let readyz = APIRoute(method: "GET", path: "/readyz")
    package static let metrics = APIRoute(method: "GET", path: "/metrics")
    package static let archiveList = APIRoute(method: "GET", path: "/v1/archive")
    package static let archiveStatus = APIRoute(method: "GET", path: "/v1/archive/status")
    package static let whoami = APIRoute(method: "GET", path: "/v1/whoami")

    package static let all: [APIRoute] = [
        submit, list, get, cancel, report, events, cluster, clusterStats, session, schema, healthz, readyz, metrics,
        archiveList, archiveStatus, whoami,
    ]

    /// The least a token must allow to call the route when tokens are configured (docs/security.md);
    /// nil: open to anyone. `metricsOpen` opens the node's statistics.
    func required(metricsOpen: Bool) -> Role? {
        switch self {
        case .healthz, .readyz, .schema, .session: nil
        case .submit, .cancel: .submitter
        // The archive's status is the node's, every tenant's writes and its last error, as /metrics is.
        case .metrics, .clusterStats, .archiveStatus: metricsOpen ? nil : .admin
        default: .reader
        }
    }
}
