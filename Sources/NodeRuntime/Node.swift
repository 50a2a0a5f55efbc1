import Archive
import ArgumentParser
import Assessment
import ClusterSystem
import CoordinationShell
import FoundationEssentials
import HTTPAPI
import Logging
import Membership
import MembershipShell
import ServiceLifecycle
import Storage
import UnixSignals
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// One cluster node assembled from its configuration: the transport, membership, the coordinator
/// with the real agents (`AgentExecutor`), the HTTP API over the coordinator
/// (`ClusterAssessmentService`) and, when configured, the archive; `inframind node` runs it.
package enum Node {
    /// Runs the node until SIGTERM or SIGINT, then drains and leaves.
    package static func run(_ config: NodeConfiguration) async throws {
        // Everything this node creates (data directory, store, its journal and WAL) is its own alone:
        // assessments hold customers' business data (docs/security.md#keys-and-files).
        umask(0o077)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = config.logLevel
            return handler
        }
        // Before anything emits: every layer's swift-metrics calls land in the registry /metrics prints.
        _ = NodeMetrics.bootstrap()
        var settings = ClusterSystem.Settings(
            name: config.name, host: config.host, port: config.clusterPort,
            tls: .init(directory: config.certsDirectory, nodeName: config.name))
        settings.maxFrameSize = config.maxFrameSize
        settings.defaultCallTimeout = .milliseconds(config.callTimeoutMilliseconds)
        settings.allowedPeers = config.clusterMembersAllowed
        // Before anything else: a wrong archive URI stops the node here, with libmongoc's reason.
        let mongo = try config.archiveURI.map { uri in
            do {
                return try MongoArchive(
                    uri: uri, database: config.archiveDatabase, collection: config.archiveCollection,
                    documentLimit: config.archiveDocumentLimit)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        // Before the node joins: certificate files that do not load stop it here.
        let tls = try config.httpTLSCertificate.map { certificate in
            do {
                return try HTTPTLS(certificatePath: certificate, keyPath: config.httpTLSKey ?? "")
            } catch {
                throw ValidationError("http_tls_cert/http_tls_key: \(error)")
            }
        }
        // Trapped before anything else can take a while: SIGHUP's default would end the node.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let store = try SQLiteAssessmentStore(
            dataDirectory: URL(fileURLWithPath: config.dataDirectory), archiving: mongo != nil)
        // A data directory made before the umask (an older version, or by hand) is narrowed too.
        restrictToOwner(directory: config.dataDirectory)
        let system = try await ClusterSystem.start(settings: settings)
        let diagnostics = Diagnostics.start(on: system)
        // Every member learns this node's HTTP address from its membership record, for `/v1/cluster`.
        let membership = MembershipService(
            system: system, seeds: config.seeds.compactMap(NodeAddress.init(parsing:)),
            metadata: [ClusterAssessmentService.httpAddressKey: "\(config.httpHost):\(config.httpPort)"])
        await membership.start()
        let coordinator = CoordinatorNode(
            system: system, membership: membership, store: store,
            executor: AgentExecutor(
                catalog: try Catalog.shipped(), options: config.agentRunOptions, threads: config.workerConcurrency),
            settings: config.coordinationSettings)
        try await coordinator.start()
        let statsEndpoint = StatsEndpoint.start(on: system) { [name = config.name] in
            NodeStatsSampler.shared.encoded(node: name)
        }
        var service = ClusterAssessmentService(coordinator: coordinator)
        service.wideReads = WideReadGate(perSecond: config.wideReadsPerSecond)
        var archiveTask: Task<Void, Never>?
        if let mongo {
            var writerSettings = ArchiveWriterSettings()
            writerSettings.queueLimit = config.archiveQueueLimit
            writerSettings.retention = .seconds(config.retentionSeconds)
            let writer = ArchiveWriter(
                node: config.name, archive: mongo, store: store, settings: writerSettings, logger: system.logger,
                ownerIsAlive: { [coordinator] owner in await coordinator.memberMayBeAlive(owner) })
            service.archive = NodeArchive(archive: mongo, writer: writer)
            archiveTask = Task { await writer.run() }
            system.logger.info(
                "archive configured",
                metadata: ["database": "\(config.archiveDatabase)", "collection": "\(config.archiveCollection)"])
        }
        var httpSettings = config.httpSettings
        httpSettings.tls = tls
        // SIGHUP reloads the HTTPS certificate and key (docs/operations.md, "Rotating certificates"):
        // new connections get the new ones; the cluster, its transport and open requests are untouched.
        let reloads = Task { [logger = system.logger] in
            for await _ in hangups {
                if let tls {
                    tls.reload(logger: logger)
                } else {
                    logger.notice("SIGHUP: nothing to reload (the HTTP API serves plain HTTP)")
                }
            }
        }
        if let audit = config.auditLog {
            do {
                httpSettings.auditLog = try AuditLog(audit, node: config.name, logger: system.logger)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let http = HTTPServer.make(service: service, settings: httpSettings, logger: system.logger) { port in
            print(
                "node \(system.node) ready: cluster \(config.host):\(system.node.port), \(tls == nil ? "http" : "https") \(config.httpHost):\(port)"
            )
            fflush(nil)
        }
        let node = NodeLifecycle(system: system, membership: membership, coordinator: coordinator)
        // Shut down in reverse order: HTTP first (stop accepting, finish requests in flight), then the
        // node (finish running tasks, leave the cluster, close connections).
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: node), .init(service: http)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: system.logger))
        try await group.run()
        await httpSettings.auditLog?.shutdown()
        archiveTask?.cancel()
        reloads.cancel()
        _ = (diagnostics, statsEndpoint)
    }

    /// Takes group and other access off `directory` and the files directly in it.
    package static func restrictToOwner(directory: String) {
        func narrow(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return }
            _ = chmod(path, info.st_mode & 0o700)
        }
        narrow(directory)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            narrow(directory + "/" + name)
        }
    }
}
