import Assessment
import FoundationEssentials
import HTTPTypes
import Hummingbird

/// The routes about the node rather than one assessment: cluster view, schema, health, metrics.
struct NodeRoutes: Sendable {
    let service: any AssessmentService
    let book: TokenBook?
    let sampler: NodeStatsSampler

    func cluster(_ request: Request, context: some RequestContext) async -> Response {
        JSONResponse.make(.ok, ClusterBody(await service.cluster()))
    }

    /// Every live member's load, this node's own and the others' gathered over the cluster
    /// (docs/console.md), so the console asks one node, whichever serves it.
    func stats(_ request: Request, context: some RequestContext) async -> Response {
        let node = await service.cluster().selfID
        var members = [sampler.stats(node: node, exposition: NodeMetrics.exposition())]
        var unreachable: [ClusterStatsBody.Unreachable] = []
        for answer in await service.memberStats() {
            if let data = answer.stats, let stats = try? JSONDecoder().decode(NodeStatsBody.self, from: data) {
                members.append(stats)
            } else {
                unreachable.append(
                    .init(node: answer.node, error: answer.error ?? "its stats did not decode (another version?)"))
            }
        }
        members.sort { $0.node < $1.node }
        return JSONResponse.make(.ok, ClusterStatsBody(node: node, members: members, unreachable: unreachable))
    }

    /// What the caller's credentials allow, so a client (the console) offers only what will be accepted.
    /// Open: it answers with or without a token (docs/security.md).
    func session(_ request: Request, context: some RequestContext) -> Response {
        let caller = book.map { $0.caller(request.headers) } ?? Caller.open
        return JSONResponse.make(
            .ok,
            SessionBody(
                tokenRequired: book != nil, canSubmit: caller.map { $0.role >= .submitter } ?? false,
                role: caller?.role.rawValue, tenant: caller?.tenant))
    }

    /// The role, tenant and label of the token sent (guarded: 401 without one when tokens are configured).
    func whoami(_ request: Request, context: APIRequestContext) -> Response {
        let caller = context.caller
        return JSONResponse.make(
            .ok, WhoAmIBody(role: caller.role.rawValue, tenant: caller.tenant, label: caller.label))
    }

    /// Printed from the validator's own shape, so the schema served is the one submissions are checked by.
    func schema(_ request: Request, context: some RequestContext) -> Response {
        JSONResponse.data(.ok, Self.schemaDocument, contentType: "application/schema+json")
    }

    private static let schemaDocument = RequestSchema.document

    func healthz(_ request: Request, context: some RequestContext) -> Response {
        JSONResponse.make(.ok, ["status": "ok"])
    }

    func readyz(_ request: Request, context: some RequestContext) async -> Response {
        let readiness = await service.readiness()
        if !readiness.ready {
            context.logger.info("not ready", metadata: ["reasons": "\(readiness.reasons.joined(separator: "; "))"])
        }
        return JSONResponse.make(
            readiness.ready ? .ok : .serviceUnavailable,
            ReadinessBody(ready: readiness.ready, reasons: readiness.reasons))
    }

    /// Members by status are counted from the node's view when scraped, so the gauges can never
    /// drift from what `GET /v1/cluster` shows.
    func metrics(_ request: Request, context: some RequestContext) async -> Response {
        APIMetrics().members(byStatus: (await service.cluster()).members.map(\.status))
        return JSONResponse.data(
            .ok, Data(NodeMetrics.exposition().utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
