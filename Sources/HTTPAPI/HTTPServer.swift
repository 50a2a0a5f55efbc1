import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle

/// The node's HTTP API as a swift-service-lifecycle `Service`: run it in the node's `ServiceGroup`, and
/// graceful shutdown stops accepting connections, ends open event streams and drains the requests in flight.
package enum HTTPServer {
    /// The server for `settings.host:settings.port`. `onRunning` gets the bound port (useful with port 0).
    package static func make(
        service: any AssessmentService, settings: HTTPSettings, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let validation = BodyValidation()
        let limits = settings.limits
        let counter = ConnectionCounter(perClient: limits.perClient, total: limits.total)
        return Application(
            router: router(service: service, settings: settings, validation: validation),
            server: HTTPServerBuilder { responder in
                GuardedHTTPChannel(responder: responder, limits: limits, counter: counter, tls: settings.tls)
            },
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "inframind"),
            services: [validation],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
    }

    /// Every route of `APIRoute.all`, each bound to its handler in the group of the role it needs.
    static func router(
        service: any AssessmentService, settings: HTTPSettings, validation: BodyValidation
    ) -> Router<APIRequestContext> {
        NodeMetrics.bootstrap()
        let metrics = APIMetrics()
        let book = settings.tokenBook
        let assessments = AssessmentRoutes(
            service: service, settings: settings, admission: AdmissionGate(limit: settings.admissionLimit),
            metrics: metrics, validation: validation)
        let events = EventStream(
            service: service, heartbeat: settings.heartbeat, metrics: metrics,
            slots: ConnectionCounter(perClient: settings.limits.streamsPerClient, total: settings.limits.streams),
            retryAfterSeconds: settings.retryAfterSeconds)
        let node = NodeRoutes(service: service, book: book, sampler: .shared)
        let origins = AllowedOrigins(
            configured: settings.corsOrigins, service: service, scheme: settings.tls == nil ? "http" : "https")
        let console = ConsoleRoutes(origins: origins)
        let archive = ArchiveRoutes(service: service, settings: settings)

        let router = Router(context: APIRequestContext.self)
        // Added before the routes, so they wrap every one of them and the not-found fallback; CORS
        // outermost, so that error answers carry its headers too; metrics outside the error
        // middleware, so they count the status the client got.
        router.add(middleware: CORSMiddleware(origins: origins))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        var groups: [Role: RouterGroup<APIRequestContext>] = [:]
        for role in Role.allCases {
            groups[role] = router.group().add(
                middleware: AccessMiddleware(book: book, minimum: role, audit: settings.auditLog))
        }
        for route in APIRoute.all {
            let method = HTTPRequest.Method(rawValue: route.method)!
            let path = RouterPath(route.routerPath)
            let routes: any RouterMethods<APIRequestContext> =
                route.required(metricsOpen: settings.metricsOpen).flatMap { groups[$0] } ?? router
            switch route {
            case .submit: routes.on(path, method: method) { try await assessments.submit($0, context: $1) }
            case .list: routes.on(path, method: method) { try await assessments.list($0, context: $1) }
            case .get: routes.on(path, method: method) { try await assessments.get($0, context: $1) }
            case .cancel: routes.on(path, method: method) { try await assessments.cancel($0, context: $1) }
            case .report: routes.on(path, method: method) { try await assessments.report($0, context: $1) }
            case .events:
                routes.on(path, method: method) { request, context in
                    let slot = try events.reserve(context: context)
                    _ = try await assessments.visible(context.parameters.get("id") ?? "", request, context: context)
                    return await events.handle(request, context: context, slot: slot)
                }
            case .cluster: routes.on(path, method: method) { await node.cluster($0, context: $1) }
            case .clusterStats: routes.on(path, method: method) { await node.stats($0, context: $1) }
            case .session: routes.on(path, method: method) { node.session($0, context: $1) }
            case .whoami: routes.on(path, method: method) { node.whoami($0, context: $1) }
            case .schema: routes.on(path, method: method) { node.schema($0, context: $1) }
            case .healthz: routes.on(path, method: method) { node.healthz($0, context: $1) }
            case .readyz: routes.on(path, method: method) { await node.readyz($0, context: $1) }
            case .metrics: routes.on(path, method: method) { await node.metrics($0, context: $1) }
            case .archiveList: routes.on(path, method: method) { await archive.list($0, context: $1) }
            case .archiveStatus: routes.on(path, method: method) { await archive.status($0, context: $1) }
            default: preconditionFailure("APIRoute.all names \(route), which has no handler")
            }
        }
        for page in ConsoleAssets.pages {
            router.get(RouterPath(page)) { await console.page($0, context: $1) }
        }
        router.get("/console/:file") { await console.asset($0, context: $1) }
        router.get("/console/examples/:file") { await console.asset($0, context: $1) }
        return router
    }
}

/// The API running in its own `ServiceGroup` beside the node's other parts, for a node command that
/// handles signals itself: `start` returns once the port is bound, `stop` shuts down gracefully.
package struct RunningHTTPServer: Sendable {
    package let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Binds and starts serving; throws if the address cannot be bound.
    package static func start(
        service: any AssessmentService, settings: HTTPSettings, logger: Logger
    ) async throws -> RunningHTTPServer {
        let (bound, boundQueue) = AsyncStream<Int>.makeStream()
        let app = HTTPServer.make(service: service, settings: settings, logger: logger) { port in
            boundQueue.yield(port)
            boundQueue.finish()
        }
        // No signals here: the node decides when to stop, so the API drains before the node leaves the cluster.
        let group = ServiceGroup(services: [app], logger: logger)
        let task = Task {
            defer { boundQueue.finish() }
            try await group.run()
        }
        var ports = bound.makeAsyncIterator()
        guard let port = await ports.next() else {
            try await task.value
            throw ServiceError.unavailable("the HTTP server stopped before it was listening")
        }
        logger.info("HTTP API listening", metadata: ["address": "\(settings.host):\(port)"])
        return RunningHTTPServer(port: port, group: group, task: task)
    }

    /// Stops accepting connections, ends open event streams, waits for requests in flight.
    package func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
