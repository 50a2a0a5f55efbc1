/// Every route of the API, in OpenAPI path syntax. The router is built from this table and the
/// OpenAPI document is tested against it, so the three cannot drift apart.
public struct APIRoute: Sendable, Hashable, CustomStringConvertible {
    public let method: String
    public let path: String

    public init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    public var description: String { "\(method) \(path)" }

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

    public static let submit = APIRoute(method: "POST", path: "/v1/assessments")
    public static let list = APIRoute(method: "GET", path: "/v1/assessments")
    public static let get = APIRoute(method: "GET", path: "/v1/assessments/{id}")
    public static let cancel = APIRoute(method: "DELETE", path: "/v1/assessments/{id}")
    public static let report = APIRoute(method: "GET", path: "/v1/assessments/{id}/report")
    public static let events = APIRoute(method: "GET", path: "/v1/assessments/{id}/events")
    public static let cluster = APIRoute(method: "GET", path: "/v1/cluster")
    public static let clusterStats = APIRoute(method: "GET", path: "/v1/cluster/stats")
    public static let session = APIRoute(method: "GET", path: "/v1/session")
    public static let schema = APIRoute(method: "GET", path: "/v1/schema")
    public static let healthz = APIRoute(method: "GET", path: "/healthz")
    public static let readyz = APIRoute(method: "GET", path: "/readyz")
    public static let metrics = APIRoute(method: "GET", path: "/metrics")
    public static let archiveList = APIRoute(method: "GET", path: "/v1/archive")
    public static let archiveStatus = APIRoute(method: "GET", path: "/v1/archive/status")
    public static let whoami = APIRoute(method: "GET", path: "/v1/whoami")

    public static let all: [APIRoute] = [
        submit, list, get, cancel, report, events, cluster, clusterStats, session, schema, healthz, readyz, metrics,
        archiveList, archiveStatus, whoami,
    ]

    /// The least a token must allow to call the route when tokens are configured (docs/security.md);
    /// nil: open to anyone. `metricsOpen` opens the node's statistics.
    func required(metricsOpen: Bool) -> Role? {
        switch self {
        case .healthz, .readyz, .schema, .session: nil
        case .submit, .cancel: .submitter
        case .metrics, .clusterStats: metricsOpen ? nil : .admin
        default: .reader
        }
    }
}
