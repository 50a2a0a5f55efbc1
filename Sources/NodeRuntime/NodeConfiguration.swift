import Archive
import ArgumentParser
import Assessment
import FoundationEssentials
import HTTPAPI
import Logging
import NodeConfigFormat
import Wire

/// Every setting of a node, resolved: built-in defaults, then the config file, then flags, each layer
/// overriding the one before. The coordinator and the HTTP server read their settings from here.
package struct NodeConfiguration: Equatable, Sendable {
    var name: String
    var host: String
    var clusterPort: Int
    var httpHost: String
    var httpPort: Int
    var certsDirectory: String
    var seeds: [String]
    var dataDirectory: String
    var token: String?
    var bodyLimit: Int
    var admissionLimit: Int
    var backlogLimit: Int
    var replicationFactor: Int
    var leaseTTLMilliseconds: Int
    var maxAttempts: Int
    var workerConcurrency: Int
    var retentionHours: Int
    var callTimeoutMilliseconds: Int
    var maxFrameSize: Int
    var logLevel: Logger.Level
    var agentRunOptions: AgentRunOptions
    /// Browser origins besides the members' own that may call the API (docs/console.md).
    var corsOrigins: [String]
    /// How long a finished assessment is kept: `retention_hours`, or `retention_seconds` (for tests).
    var retentionSeconds: Int
    /// The archive (docs/archive.md); nil: no archive, no libmongoc connection.
    var archiveURI: String?
    var archiveDatabase: String
    var archiveCollection: String
    var archiveQueueLimit: Int
    /// Bytes over which an archive document keeps its report in GridFS (MongoArchive.documentLimit).
    var archiveDocumentLimit: Int
    /// Node names a peer's certificate may carry (docs/security.md#peer-identity); nil: any of the CA's.
    var clusterMembersAllowed: Set<String>?
    /// The tokens file's entries (docs/security.md); the node holds digests, never tokens.
    var tokens: [TokenEntry] = []
    var metricsOpen = false
    /// Serving the API beyond loopback with no token, said on purpose.
    var insecureOpenAPI = false
    /// The audit log (docs/security.md), when `audit_log` is set.
    var auditLog: AuditLog.Settings?
    /// HTTPS (docs/security.md, "HTTPS"): the PEM certificate chain and key, both or neither.
    var httpTLSCertificate: String?
    var httpTLSKey: String?
    /// Timeouts and caps on HTTP connections and event streams (docs/security.md, "Connection limits").
    var connectionLimits = ConnectionLimits()
    /// Reads that ask every member (see `WideReadGate`), per second.
    var wideReadsPerSecond = 20

    /// One layer of settings as a config file or the flags give them; nil means "not said here".
    /// The keys are the config file's (snake_case); flags use the same words in kebab-case.
    struct Layer: Codable, Equatable, Sendable {
        var name: String?
        var host: String?
        var clusterPort: Int?
        var httpHost: String?
        var httpPort: Int?
        var certsDir: String?
        var seeds: [String]?
        var dataDir: String?
        var token: String?
        var tokenFile: String?
        var bodyLimit: Int?
        var admissionLimit: Int?
        var backlogLimit: Int?
        var replicationFactor: Int?
        var leaseTtlMs: Int?
        var maxAttempts: Int?
        var workerConcurrency: Int?
        var retentionHours: Int?
        var callTimeoutMs: Int?
        var maxFrameSize: Int?
        var logLevel: String?
        var agentCpuIterations: Int?
        var agentSleepMs: Int?
        var corsOrigins: [String]?
        var retentionSeconds: Int?
        var archiveMongodbUri: String?
        var archiveDatabase: String?
        var archiveCollection: String?
        var archiveQueueLimit: Int?
        var archiveDocumentLimit: Int?
        var clusterMembersAllowed: [String]?
        var tokensFile: String?
        var metricsOpen: Bool?
        var insecureOpenApi: Bool?
        var auditLog: String?
        var auditLogMaxBytes: Int?
        var auditLogKeep: Int?
        var httpTlsCert: String?
        var httpTlsKey: String?
        var httpHeaderTimeoutMs: Int?
        var httpIdleTimeoutMs: Int?
        var httpBodyTimeoutMs: Int?
        var httpMaxConnections: Int?
        var httpMaxConnectionsPerClient: Int?
        var httpMaxEventStreams: Int?
        var httpMaxEventStreamsPerClient: Int?
        var wideReadsPerSecond: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, host, seeds, token
            case clusterPort = "cluster_port"
            case httpHost = "http_host"
            case httpPort = "http_port"
            case certsDir = "certs_dir"
            case dataDir = "data_dir"
            case tokenFile = "token_file"
            case bodyLimit = "body_limit"
            case admissionLimit = "admission_limit"
            case backlogLimit = "backlog_limit"
            case replicationFactor = "replication_factor"
            case leaseTtlMs = "lease_ttl_ms"
            case maxAttempts = "max_attempts"
            case workerConcurrency = "worker_concurrency"
            case retentionHours = "retention_hours"
            case callTimeoutMs = "call_timeout_ms"
            case maxFrameSize = "max_frame_size"
            case logLevel = "log_level"
            case agentCpuIterations = "agent_cpu_iterations"
            case agentSleepMs = "agent_sleep_ms"
            case corsOrigins = "cors_origins"
            case retentionSeconds = "retention_seconds"
            case archiveMongodbUri = "archive_mongodb_uri"
            case archiveDatabase = "archive_database"
            case archiveCollection = "archive_collection"
            case archiveQueueLimit = "archive_queue_limit"
            case archiveDocumentLimit = "archive_document_limit"
            case clusterMembersAllowed = "cluster_members_allowed"
            case tokensFile = "tokens_file"
            case metricsOpen = "metrics_open"
            case insecureOpenApi = "insecure_open_api"
            case auditLog = "audit_log"
            case auditLogMaxBytes = "audit_log_max_bytes"
            case auditLogKeep = "audit_log_keep"
            case httpTlsCert = "http_tls_cert"
            case httpTlsKey = "http_tls_key"
            case httpHeaderTimeoutMs = "http_header_timeout_ms"
            case httpIdleTimeoutMs = "http_idle_timeout_ms"
            case httpBodyTimeoutMs = "http_body_timeout_ms"
            case httpMaxConnections = "http_max_connections"
            case httpMaxConnectionsPerClient = "http_max_connections_per_client"
            case httpMaxEventStreams = "http_max_event_streams"
            case httpMaxEventStreamsPerClient = "http_max_event_streams_per_client"
            case wideReadsPerSecond = "wide_reads_per_second"
        }

        /// Parses a TOML config. Unknown keys are errors: a misspelt setting silently ignored would run
        /// the node with a default nobody chose.
        static func parse(toml text: String, source: String) throws -> Layer {
            let table: [(key: String, value: FlatTOML.Value)]
            do {
                table = try FlatTOML.parse(text)
            } catch {
                throw ValidationError("\(source): \(error)")
            }
            let known = Set(CodingKeys.allCases.map(\.rawValue))
            let unknown = table.map(\.key).filter { !known.contains($0) }.sorted()
            guard unknown.isEmpty else {
                throw ValidationError("\(source): unknown setting(s): \(unknown.joined(separator: ", "))")
            }
            do {
                return try JSONDecoder().decode(Layer.self, from: FlatTOML.json(table))
            } catch {
                throw ValidationError("\(source): \(Self.describe(error))")
            }
        }

        static func load(path: String) throws -> Layer {
            let text: String
            do {
                text = try StandardStreams.readText(path)
            } catch {
                throw ValidationError("cannot read config file \(path): \(error)")
            }
            return try parse(toml: text, source: path)
        }

        /// This layer with every setting that `other` gives replaced by `other`'s.
        func overridden(by other: Layer) -> Layer {
            var merged = self
            merged.name = other.name ?? name
            merged.host = other.host ?? host
            merged.clusterPort = other.clusterPort ?? clusterPort
            merged.httpHost = other.httpHost ?? httpHost
            merged.httpPort = other.httpPort ?? httpPort
            merged.certsDir = other.certsDir ?? certsDir
            merged.seeds = other.seeds ?? seeds
            merged.dataDir = other.dataDir ?? dataDir
            // A token and a token file are one setting given two ways; the overriding layer's choice wins whole.
            if other.token != nil || other.tokenFile != nil {
                merged.token = other.token
                merged.tokenFile = other.tokenFile
            }
            merged.bodyLimit = other.bodyLimit ?? bodyLimit
            merged.admissionLimit = other.admissionLimit ?? admissionLimit
            merged.backlogLimit = other.backlogLimit ?? backlogLimit
            merged.replicationFactor = other.replicationFactor ?? replicationFactor
            merged.leaseTtlMs = other.leaseTtlMs ?? leaseTtlMs
            merged.maxAttempts = other.maxAttempts ?? maxAttempts
            merged.workerConcurrency = other.workerConcurrency ?? workerConcurrency
            merged.retentionHours = other.retentionHours ?? retentionHours
            merged.callTimeoutMs = other.callTimeoutMs ?? callTimeoutMs
            merged.maxFrameSize = other.maxFrameSize ?? maxFrameSize
            merged.logLevel = other.logLevel ?? logLevel
            merged.agentCpuIterations = other.agentCpuIterations ?? agentCpuIterations
            merged.agentSleepMs = other.agentSleepMs ?? agentSleepMs
            merged.corsOrigins = other.corsOrigins ?? corsOrigins
            // Hours and seconds are one setting given two ways; the overriding layer's choice wins whole.
            if other.retentionHours != nil || other.retentionSeconds != nil {
                merged.retentionHours = other.retentionHours
                merged.retentionSeconds = other.retentionSeconds
            }
            merged.archiveMongodbUri = other.archiveMongodbUri ?? archiveMongodbUri
            merged.archiveDatabase = other.archiveDatabase ?? archiveDatabase
            merged.archiveCollection = other.archiveCollection ?? archiveCollection
            merged.archiveQueueLimit = other.archiveQueueLimit ?? archiveQueueLimit
            merged.archiveDocumentLimit = other.archiveDocumentLimit ?? archiveDocumentLimit
            merged.clusterMembersAllowed = other.clusterMembersAllowed ?? clusterMembersAllowed
            merged.tokensFile = other.tokensFile ?? tokensFile
            merged.metricsOpen = other.metricsOpen ?? metricsOpen
            merged.insecureOpenApi = other.insecureOpenApi ?? insecureOpenApi
            merged.auditLog = other.auditLog ?? auditLog
            merged.auditLogMaxBytes = other.auditLogMaxBytes ?? auditLogMaxBytes
            merged.auditLogKeep = other.auditLogKeep ?? auditLogKeep
            // A certificate and its key are one setting given in two files; the overriding layer's pair wins whole.
            if other.httpTlsCert != nil || other.httpTlsKey != nil {
                merged.httpTlsCert = other.httpTlsCert
                merged.httpTlsKey = other.httpTlsKey
            }
            merged.httpHeaderTimeoutMs = other.httpHeaderTimeoutMs ?? httpHeaderTimeoutMs
            merged.httpIdleTimeoutMs = other.httpIdleTimeoutMs ?? httpIdleTimeoutMs
            merged.httpBodyTimeoutMs = other.httpBodyTimeoutMs ?? httpBodyTimeoutMs
            merged.httpMaxConnections = other.httpMaxConnections ?? httpMaxConnections
            merged.httpMaxConnectionsPerClient = other.httpMaxConnectionsPerClient ?? httpMaxConnectionsPerClient
            merged.httpMaxEventStreams = other.httpMaxEventStreams ?? httpMaxEventStreams
            merged.httpMaxEventStreamsPerClient = other.httpMaxEventStreamsPerClient ?? httpMaxEventStreamsPerClient
            merged.wideReadsPerSecond = other.wideReadsPerSecond ?? wideReadsPerSecond
            return merged
        }

        private static func describe(_ error: any Error) -> String {
            switch error {
            case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
                let key = context.codingPath.map(\.stringValue).joined(separator: ".")
                let kind =
                    type == Int.self
                    ? "an integer" : type == String.self ? "a string" : type == Bool.self ? "true or false" : "\(type)"
                return "\(key) must be \(kind)"
            default:
                return "\(error)"
            }
        }
    }

    /// Fills defaults, checks every value, and reads the token file. Throws one error naming every problem.
    init(_ layer: Layer, readFile: (String) throws -> String = { try StandardStreams.readText($0) })
        throws
    {
        var problems: [String] = []
        func required<T>(_ value: T?, _ key: String) -> T? {
            if value == nil { problems.append("\(key) is required") }
            return value
        }
        func check(_ value: Int, _ key: String, _ range: ClosedRange<Int>) -> Int {
            if !range.contains(value) { problems.append("\(key) must be \(range.lowerBound)…\(range.upperBound)") }
            return value
        }
        let name = required(layer.name, "name") ?? ""
        let clusterPort = required(layer.clusterPort, "cluster_port") ?? 0
        let certs = required(layer.certsDir, "certs_dir") ?? ""
        if layer.clusterPort != nil { _ = check(clusterPort, "cluster_port", 1...65535) }
        self.name = name
        host = layer.host ?? "127.0.0.1"
        self.clusterPort = clusterPort
        httpHost = layer.httpHost ?? host
        httpPort = check(layer.httpPort ?? 8080, "http_port", 0...65535)
        certsDirectory = certs
        seeds = layer.seeds ?? []
        for seed in seeds where NodeAddress(parsing: seed) == nil {
            problems.append("seed \(seed) is not name@host:port")
        }
        dataDirectory = layer.dataDir ?? "data/\(name)"
        if layer.token != nil && layer.tokenFile != nil {
            problems.append("give token or token_file, not both")
        }
        token = layer.token
        if let file = layer.tokenFile {
            do {
                token = try readFile(file).trimmingWhitespace()
            } catch {
                problems.append("cannot read token_file \(file): \(error)")
            }
        }
        if token?.isEmpty == true { problems.append("the token must not be empty") }
        bodyLimit = check(layer.bodyLimit ?? 256 << 10, "body_limit", 1024...(64 << 20))
        admissionLimit = check(layer.admissionLimit ?? 256, "admission_limit", 1...100_000)
        backlogLimit = check(layer.backlogLimit ?? 1_000, "backlog_limit", 0...10_000_000)
        replicationFactor = check(layer.replicationFactor ?? 3, "replication_factor", 1...9)
        leaseTTLMilliseconds = check(layer.leaseTtlMs ?? 3_000, "lease_ttl_ms", 100...3_600_000)
        maxAttempts = check(layer.maxAttempts ?? 3, "max_attempts", 1...100)
        workerConcurrency = check(
            layer.workerConcurrency ?? ProcessInfo.processInfo.activeProcessorCount, "worker_concurrency", 1...1024)
        retentionHours = check(layer.retentionHours ?? 24, "retention_hours", 1...87_600)
        if layer.retentionHours != nil && layer.retentionSeconds != nil {
            problems.append("give retention_hours or retention_seconds, not both")
        }
        retentionSeconds =
            layer.retentionSeconds.map { check($0, "retention_seconds", 1...(87_600 * 3600)) } ?? retentionHours * 3600
        archiveURI = layer.archiveMongodbUri
        if archiveURI?.isEmpty == true { problems.append("archive_mongodb_uri must not be empty when given") }
        archiveDatabase = layer.archiveDatabase ?? "inframind"
        archiveCollection = layer.archiveCollection ?? "assessments"
        // MongoDB's own rules for names: no empty name, no '$', no '.' or '/' in a database name.
        if archiveDatabase.isEmpty || archiveDatabase.contains(where: { "/\\. \"$".contains($0) }) {
            problems.append("archive_database must be a MongoDB database name (no . / \\ \" $ or space)")
        }
        if archiveCollection.isEmpty || archiveCollection.contains("$") || archiveCollection.hasPrefix("system.") {
            problems.append("archive_collection must be a MongoDB collection name (no $, not system.*)")
        }
        archiveQueueLimit = check(layer.archiveQueueLimit ?? 100_000, "archive_queue_limit", 1...100_000_000)
        archiveDocumentLimit = check(
            layer.archiveDocumentLimit ?? MongoArchive.maximumDocumentBytes, "archive_document_limit",
            1024...MongoArchive.maximumDocumentBytes)
        callTimeoutMilliseconds = check(layer.callTimeoutMs ?? 5_000, "call_timeout_ms", 1...3_600_000)
        maxFrameSize = check(layer.maxFrameSize ?? 8 << 20, "max_frame_size", 4096...(1 << 30))
        // A request travels inside replica writes and task assignments (with its record's report and
        // the results beside it): a frame limit near the body limit would refuse them on the wire.
        if maxFrameSize < 4 * bodyLimit {
            problems.append("max_frame_size must be at least 4 × body_limit (\(4 * bodyLimit))")
        }
        let levelName = layer.logLevel ?? "info"
        logLevel = Logger.Level(rawValue: levelName) ?? .info
        if Logger.Level(rawValue: levelName) == nil {
            problems.append(
                "log_level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch (layer.agentCpuIterations ?? 0, layer.agentSleepMs ?? 0) {
        case (0, 0): agentRunOptions = .standard
        case (let iterations, 0) where iterations > 0:
            agentRunOptions = .init(loadTestSlowdown: .cpuWork(iterations: iterations))
        case (0, let ms) where ms > 0: agentRunOptions = .init(loadTestSlowdown: .sleep(milliseconds: ms))
        default:
            problems.append("agent_cpu_iterations and agent_sleep_ms are alternatives: set one, to a positive number")
            agentRunOptions = .standard
        }
        corsOrigins = layer.corsOrigins ?? []
        for origin in corsOrigins where !Self.isOrigin(origin) {
            problems.append("cors_origins: \(origin) is not an origin (scheme://host[:port], no path; never *)")
        }
        clusterMembersAllowed = layer.clusterMembersAllowed.map(Set.init)
        if let allowed = clusterMembersAllowed {
            // A list that leaves out this node or a seed would refuse the very connections it needs.
            if !allowed.contains(name) { problems.append("cluster_members_allowed must list this node (\(name))") }
            for seed in seeds.compactMap(NodeAddress.init(parsing:)) where !allowed.contains(seed.name) {
                problems.append("seed \(seed.name) is not in cluster_members_allowed")
            }
            if allowed.contains(where: \.isEmpty) { problems.append("cluster_members_allowed has an empty name") }
        }
        if let file = layer.tokensFile {
            do {
                tokens = try TokenBook.parse(try readFile(file))
                if tokens.isEmpty { problems.append("tokens_file \(file) holds no token") }
            } catch let error as TokensFileError {
                problems.append("\(file): \(error)")
            } catch {
                problems.append("cannot read tokens_file \(file): \(error)")
            }
        }
        metricsOpen = layer.metricsOpen ?? false
        insecureOpenAPI = layer.insecureOpenApi ?? false
        // Reports hold a customer's business, compliance and budget: an API reachable from other hosts
        // answers only with tokens, unless the operator says otherwise (docs/security.md).
        if token == nil, tokens.isEmpty, !insecureOpenAPI, !Self.isLoopback(httpHost) {
            problems.append(
                "http_host \(httpHost) is reachable from other hosts and no token is configured: set tokens_file "
                    + "(see `inframind token create`), or insecure_open_api = true to serve it open on purpose")
        }
        if let path = layer.auditLog {
            if path.isEmpty { problems.append("audit_log must not be empty when given") }
            auditLog = AuditLog.Settings(
                path: path,
                maxBytes: check(layer.auditLogMaxBytes ?? 64 << 20, "audit_log_max_bytes", 4096...(1 << 40)),
                keep: check(layer.auditLogKeep ?? 5, "audit_log_keep", 0...1000))
        }
        switch (layer.httpTlsCert, layer.httpTlsKey) {
        case (nil, nil): break
        case (let cert?, let key?) where !cert.isEmpty && !key.isEmpty:
            httpTLSCertificate = cert
            httpTLSKey = key
        default: problems.append("http_tls_cert and http_tls_key go together: give both files, or neither")
        }
        // Ranges: a header or body deadline under 100 ms would cut off clients on a slow link; one over
        // ten minutes is no deadline. The caps stay under the file descriptors a process usually gets.
        var limits = ConnectionLimits()
        limits.headerTimeout = .milliseconds(
            check(layer.httpHeaderTimeoutMs ?? 10_000, "http_header_timeout_ms", 100...600_000))
        limits.idleTimeout = .milliseconds(
            check(layer.httpIdleTimeoutMs ?? 60_000, "http_idle_timeout_ms", 1_000...3_600_000))
        limits.bodyTimeout = .milliseconds(
            check(layer.httpBodyTimeoutMs ?? 30_000, "http_body_timeout_ms", 100...600_000))
        limits.total = check(layer.httpMaxConnections ?? 2048, "http_max_connections", 1...65_536)
        limits.perClient = check(
            layer.httpMaxConnectionsPerClient ?? min(128, limits.total), "http_max_connections_per_client",
            1...max(1, limits.total))
        limits.streams = check(layer.httpMaxEventStreams ?? 1024, "http_max_event_streams", 1...65_536)
        limits.streamsPerClient = check(
            layer.httpMaxEventStreamsPerClient ?? min(32, limits.streams), "http_max_event_streams_per_client",
            1...max(1, limits.streams))
        connectionLimits = limits
        wideReadsPerSecond = check(layer.wideReadsPerSecond ?? 20, "wide_reads_per_second", 1...100_000)
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
    }

    /// 127.0.0.0/8, ::1 or localhost: only this machine can connect.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// `http://host:port` or `https://host`: what a browser sends in `Origin`, so a match is exact.
    static func isOrigin(_ text: String) -> Bool {
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            return !rest.isEmpty && !rest.contains("/") && !rest.contains("*") && !rest.contains(" ")
        }
        return false
    }

    var httpSettings: HTTPSettings {
        HTTPSettings(
            host: httpHost, port: httpPort, token: token, bodyLimit: bodyLimit, admissionLimit: admissionLimit,
            corsOrigins: corsOrigins, tokens: tokens, metricsOpen: metricsOpen, limits: connectionLimits)
    }
}
