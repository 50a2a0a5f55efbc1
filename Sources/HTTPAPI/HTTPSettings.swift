/// How one node's HTTP API listens and what it admits.
package struct HTTPSettings: Sendable {
    package var host: String
    package var port: Int
    /// One admin token given in full (`token` / `token_file`): kept working beside `tokens`.
    package var token: String?
    /// Largest request body accepted, in bytes; larger ones get 413.
    package var bodyLimit: Int
    /// Submissions this node handles at once; one more gets 429.
    package var admissionLimit: Int
    /// What a 429 tells the client to wait, in seconds.
    package var retryAfterSeconds: Int
    /// How long a 429 for a full backlog is held before it is sent. Clients that ignore `Retry-After`
    /// and ask again at once (wrk, a retry loop) otherwise turn a full backlog into tens of thousands
    /// of refusals a second, whose CPU is what the cluster needed to work the backlog off: 128 such
    /// clients got 20,542 refusals a second and the cluster completed 11 assessments in 40 s.
    package var backlogRefusalHold: Duration
    /// How often an idle event stream gets a comment line, so proxies and clients see it is alive.
    package var heartbeat: Duration
    /// The page size of `GET /v1/assessments` when the client names none, and the most it may name.
    package var defaultPageSize: Int
    package var maxPageSize: Int
    /// Browser origins (`http://host:port`) allowed to call this API from another page, besides the
    /// members' own HTTP addresses, which are always allowed so the console can fail over (docs/console.md).
    package var corsOrigins: [String]
    /// The tokens file's entries (docs/security.md). With none and no `token`, the API is open.
    package var tokens: [TokenEntry] = []
    /// `/metrics` and `/v1/cluster/stats` without a token even when tokens are configured.
    package var metricsOpen = false
    /// Where submits, cancels and refusals are recorded, when configured.
    package var auditLog: AuditLog? = nil
    /// Timeouts and caps on connections and event streams (docs/security.md, "Connection limits").
    package var limits = ConnectionLimits()
    /// HTTPS: the certificate and key served, reloadable (`http_tls_cert`, `http_tls_key`); nil: plain HTTP.
    package var tls: HTTPTLS? = nil

    /// Every accepted token, or nil when the API is open.
    var tokenBook: TokenBook? {
        let entries = tokens + (token.map { [TokenEntry.admin(token: $0)] } ?? [])
        return entries.isEmpty ? nil : TokenBook(entries: entries)
    }

    package init(
        host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, bodyLimit: Int = 256 << 10,
        admissionLimit: Int = 256, retryAfterSeconds: Int = 1, backlogRefusalHold: Duration = .milliseconds(250),
        heartbeat: Duration = .seconds(15),
        defaultPageSize: Int = 20, maxPageSize: Int = 200, corsOrigins: [String] = [], tokens: [TokenEntry] = [],
        metricsOpen: Bool = false, limits: ConnectionLimits = ConnectionLimits()
    ) {
        self.limits = limits
        self.tokens = tokens
        self.metricsOpen = metricsOpen
        self.host = host
        self.port = port
        self.token = token
        self.bodyLimit = bodyLimit
        self.admissionLimit = admissionLimit
        self.retryAfterSeconds = retryAfterSeconds
        self.backlogRefusalHold = backlogRefusalHold
        self.heartbeat = heartbeat
        self.defaultPageSize = defaultPageSize
        self.maxPageSize = maxPageSize
        self.corsOrigins = corsOrigins
    }
}
