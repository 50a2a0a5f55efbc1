import ArgumentParser

/// The flags of `inframind node`: each setting of `NodeConfiguration`, all optional so that a flag
/// overrides the config file only when given.
package struct NodeOptions: ParsableArguments {
    package init() {}

    @Option(help: "A TOML config file (see cluster-config/); flags given as well override its settings.")
    var config: String?

    @Option(help: "This node's name; must be the DNS name in its certificate. [name]")
    var name: String?

    @Option(help: "Address to listen on for the cluster and to be dialled at (default 127.0.0.1). [host]")
    var host: String?

    @Option(name: [.customLong("port"), .customLong("cluster-port")], help: "Cluster (transport) port. [cluster_port]")
    var clusterPort: Int?

    @Option(help: "Address the HTTP API listens on (default: --host). [http_host]")
    var httpHost: String?

    @Option(help: "HTTP API port (default 8080). [http_port]")
    var httpPort: Int?

    @Option(
        name: [.customLong("certs"), .customLong("certs-dir")],
        help: "Directory with ca.pem, <name>.pem and <name>-key.pem (see `inframind certs init`). [certs_dir]")
    var certsDir: String?

    @Option(
        name: .customLong("seed"),
        help:
            "A member to join through, as name@host:port; repeat for several, list this node itself to form a cluster. [seeds]"
    )
    var seeds: [String] = []

    @Option(help: "Where this node keeps its store (default data/<name>). [data_dir]")
    var dataDir: String?

    @Option(help: "One admin bearer token (prefer --tokens-file: flags show in ps). [token]")
    var token: String?

    @Option(help: "File holding one admin bearer token. [token_file]")
    var tokenFile: String?

    @Option(
        help:
            "File of accepted tokens, one `<sha256 hex> <role> <tenant> [<label>]` a line (`inframind token create`). [tokens_file]"
    )
    var tokensFile: String?

    @Flag(help: "Serve /metrics and /v1/cluster/stats without a token. [metrics_open]")
    var metricsOpen = false

    @Flag(help: "Serve the API on a non-loopback http_host with no token, on purpose. [insecure_open_api]")
    var insecureOpenApi = false

    @Option(help: "Append submits, cancels and refused requests to this file as JSON lines. [audit_log]")
    var auditLog: String?

    @Option(help: "Rotate the audit log past this size, in bytes (default 67108864). [audit_log_max_bytes]")
    var auditLogMaxBytes: Int?

    @Option(help: "Rotated audit logs kept (default 5). [audit_log_keep]")
    var auditLogKeep: Int?

    @Option(help: "Largest request body accepted, in bytes (default 262144). [body_limit]")
    var bodyLimit: Int?

    @Option(help: "Submissions this node handles at once before answering 429 (default 256). [admission_limit]")
    var admissionLimit: Int?

    @Option(
        help:
            "Unfinished assessments this node may own before submissions get 429; 0 for no limit (default 1000). [backlog_limit]"
    )
    var backlogLimit: Int?

    @Option(help: "Nodes that hold each assessment (default 3). [replication_factor]")
    var replicationFactor: Int?

    @Option(help: "How long an agent lease lasts without renewal, in milliseconds (default 3000). [lease_ttl_ms]")
    var leaseTtlMs: Int?

    @Option(help: "Tries of one agent before the assessment fails (default 3). [max_attempts]")
    var maxAttempts: Int?

    @Option(help: "Agents this node runs at once (default: the number of cores). [worker_concurrency]")
    var workerConcurrency: Int?

    @Option(help: "Hours a finished assessment is kept (default 24). [retention_hours]")
    var retentionHours: Int?

    @Option(help: "Seconds a finished assessment is kept, instead of retention_hours (tests). [retention_seconds]")
    var retentionSeconds: Int?

    @Option(help: "MongoDB URI of the archive of finished assessments; unset: no archive. [archive_mongodb_uri]")
    var archiveMongodbUri: String?

    @Option(help: "The archive's database (default inframind). [archive_database]")
    var archiveDatabase: String?

    @Option(help: "The archive's collection (default assessments). [archive_collection]")
    var archiveCollection: String?

    @Option(
        help:
            "Final states that may wait for the archive before those past retention are dropped (default 100000). [archive_queue_limit]"
    )
    var archiveQueueLimit: Int?

    @Option(
        help:
            "Bytes over which an archive document keeps its report in GridFS (default and most 16711680; lower for tests). [archive_document_limit]"
    )
    var archiveDocumentLimit: Int?

    @Option(help: "Default deadline of a cluster call, in milliseconds (default 5000). [call_timeout_ms]")
    var callTimeoutMs: Int?

    @Option(help: "Largest frame accepted from a peer, in bytes (default 8388608). [max_frame_size]")
    var maxFrameSize: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical (default info). [log_level]")
    var logLevel: String?

    @Option(help: "Load tests only: hashing rounds each agent burns before computing. [agent_cpu_iterations]")
    var agentCpuIterations: Int?

    @Option(help: "Load tests only: milliseconds each agent sleeps before computing. [agent_sleep_ms]")
    var agentSleepMs: Int?

    @Option(
        name: .customLong("cors-origin"),
        help:
            "A browser origin (http://host:port) besides the members' own that may call the API; repeat for several. [cors_origins]"
    )
    var corsOrigins: [String] = []

    @Option(
        name: .customLong("cluster-members-allowed"),
        help:
            "A node name whose certificate may join (default: any the CA signed); repeat or separate by commas. [cluster_members_allowed]"
    )
    var clusterMembersAllowed: [String] = []

    @Option(help: "PEM certificate chain the HTTP API serves over HTTPS; reloaded on SIGHUP. [http_tls_cert]")
    var httpTlsCert: String?

    @Option(help: "PEM private key of --http-tls-cert; reloaded on SIGHUP. [http_tls_key]")
    var httpTlsKey: String?

    @Option(
        help: "Milliseconds a client has to send a request's line and headers (default 10000). [http_header_timeout_ms]"
    )
    var httpHeaderTimeoutMs: Int?

    @Option(help: "Milliseconds an idle keep-alive connection stays open (default 60000). [http_idle_timeout_ms]")
    var httpIdleTimeoutMs: Int?

    @Option(
        help:
            "Milliseconds a client has to send a request's body after its headers; then 408 and closed (default 30000). [http_body_timeout_ms]"
    )
    var httpBodyTimeoutMs: Int?

    @Option(help: "Open HTTP connections in all; more are closed at accept (default 2048). [http_max_connections]")
    var httpMaxConnections: Int?

    @Option(
        help:
            "Open HTTP connections from one client address; more are closed at accept (default 128). [http_max_connections_per_client]"
    )
    var httpMaxConnectionsPerClient: Int?

    @Option(help: "Open event streams in all; more get 429 (default 1024). [http_max_event_streams]")
    var httpMaxEventStreams: Int?

    @Option(
        help:
            "Open event streams from one client address; more get 429 (default 32). [http_max_event_streams_per_client]"
    )
    var httpMaxEventStreamsPerClient: Int?

    @Option(
        help:
            "Reads of an id its replica set does not hold that may ask every member, per second; more get 503 (default 20). [wide_reads_per_second]"
    )
    var wideReadsPerSecond: Int?

    /// The flags as a layer over the config file.
    var layer: NodeConfiguration.Layer {
        NodeConfiguration.Layer(
            name: name, host: host, clusterPort: clusterPort, httpHost: httpHost, httpPort: httpPort,
            certsDir: certsDir, seeds: seeds.isEmpty ? nil : seeds, dataDir: dataDir, token: token,
            tokenFile: tokenFile, bodyLimit: bodyLimit, admissionLimit: admissionLimit, backlogLimit: backlogLimit,
            replicationFactor: replicationFactor, leaseTtlMs: leaseTtlMs, maxAttempts: maxAttempts,
            workerConcurrency: workerConcurrency, retentionHours: retentionHours, callTimeoutMs: callTimeoutMs,
            maxFrameSize: maxFrameSize, logLevel: logLevel, agentCpuIterations: agentCpuIterations,
            agentSleepMs: agentSleepMs, corsOrigins: corsOrigins.isEmpty ? nil : corsOrigins,
            retentionSeconds: retentionSeconds, archiveMongodbUri: archiveMongodbUri,
            archiveDatabase: archiveDatabase, archiveCollection: archiveCollection,
            archiveQueueLimit: archiveQueueLimit, archiveDocumentLimit: archiveDocumentLimit,
            clusterMembersAllowed: clusterMembersAllowed.isEmpty
                ? nil : clusterMembersAllowed.flatMap { $0.split(separator: ",").map(String.init) },
            tokensFile: tokensFile, metricsOpen: metricsOpen ? true : nil,
            insecureOpenApi: insecureOpenApi ? true : nil, auditLog: auditLog, auditLogMaxBytes: auditLogMaxBytes,
            auditLogKeep: auditLogKeep, httpTlsCert: httpTlsCert, httpTlsKey: httpTlsKey,
            httpHeaderTimeoutMs: httpHeaderTimeoutMs, httpIdleTimeoutMs: httpIdleTimeoutMs,
            httpBodyTimeoutMs: httpBodyTimeoutMs,
            httpMaxConnections: httpMaxConnections, httpMaxConnectionsPerClient: httpMaxConnectionsPerClient,
            httpMaxEventStreams: httpMaxEventStreams, httpMaxEventStreamsPerClient: httpMaxEventStreamsPerClient,
            wideReadsPerSecond: wideReadsPerSecond)
    }

    /// Defaults, then the config file, then these flags.
    package func resolve() throws -> NodeConfiguration {
        let file = try config.map(NodeConfiguration.Layer.load(path:)) ?? NodeConfiguration.Layer()
        return try NodeConfiguration(file.overridden(by: layer))
    }
}
