import Archive
import FoundationEssentials
import HTTPAPI
import Storage

/// The node's archive (docs/archive.md): the client pool and the writer draining this node's queue.
struct NodeArchive: Sendable {
    let archive: MongoArchive
    let writer: ArchiveWriter
}

extension ClusterAssessmentService: ArchiveReading {
    var archiveConfigured: Bool { archive != nil }

    /// The archive's copy of an assessment the cluster does not hold: 404 only when neither has it,
    /// 503 when the archive cannot say.
    func archivedSnapshot(_ id: String) async throws(ServiceError) -> AssessmentSnapshot {
        let found = try await archived(id)
        var snapshot = AssessmentSnapshot(
            id: found.id, state: Self.state(AssessmentStatus(rawValue: found.status) ?? .failed), percent: 100,
            step: nil,
            agents: found.agents.map {
                AgentSnapshot(
                    name: $0.name, state: $0.state, attempts: $0.attempts, node: $0.node, startedAt: $0.startedAt,
                    finishedAt: $0.finishedAt)
            },
            failure: found.failure, createdAt: found.createdAt, updatedAt: found.updatedAt, version: found.version,
            epoch: found.epoch)
        snapshot.source = "archive"
        snapshot.tenant = found.tenant
        return snapshot
    }

    func archivedReport(_ id: String) async throws(ServiceError) -> Data {
        let found = try await archived(id)
        guard found.status == AssessmentStatus.completed.rawValue, let report = found.report else {
            throw .notFinished(id: id, state: Self.state(AssessmentStatus(rawValue: found.status) ?? .failed))
        }
        return report
    }

    private func archived(_ id: String) async throws(ServiceError) -> ArchivedAssessment {
        guard let archive else { throw .notFound(id: id) }
        let found: ArchivedAssessment?
        do {
            found = try await archive.archive.find(id: id)
        } catch {
            throw .unavailable("the cluster does not hold \(id) and the archive cannot be read: \(error)")
        }
        guard let found else { throw .notFound(id: id) }
        return found
    }

    func archiveList(_ query: ArchiveListQuery) async throws(ServiceError) -> ArchiveListBody {
        guard let archive else { throw .notFound(id: "archive") }
        var cursor: ArchiveCursor?
        if let token = query.cursor {
            guard let parsed = ArchiveCursor(token: token) else {
                throw .badRequest("cursor \(token) is not one we issued")
            }
            cursor = parsed
        }
        let filter = ArchiveFilter(
            industry: query.industry, provider: query.provider,
            statuses: query.statuses.map { Self.status($0).rawValue },
            from: query.from, to: query.to, limit: query.limit, cursor: cursor, tenant: query.tenant)
        let page: ArchivePage
        do {
            page = try await archive.archive.list(filter)
        } catch {
            throw .unavailable("the archive cannot be read: \(error)")
        }
        return ArchiveListBody(
            items: page.items.map {
                ArchiveItemBody(
                    id: $0.id, status: Self.state(AssessmentStatus(rawValue: $0.status) ?? .failed).rawValue,
                    createdAt: APIDate.format($0.createdAt), updatedAt: APIDate.format($0.updatedAt),
                    industry: $0.industry, recommendedProvider: $0.recommendedProvider, node: $0.node, epoch: $0.epoch,
                    version: $0.version)
            }, next: page.next?.token)
    }

    func archiveStatus() async -> ArchiveStatusBody {
        guard let archive else {
            return ArchiveStatusBody(
                configured: false, pending: 0, standby: 0, written: 0, failed: 0, dropped: 0, lastSuccess: nil,
                lastError: nil,
                lagSeconds: 0)
        }
        let status = await archive.writer.status()
        return ArchiveStatusBody(
            configured: true, pending: status.pending, standby: status.standby, written: status.written,
            failed: status.failed,
            dropped: status.dropped, lastSuccess: status.lastSuccess.map(APIDate.format), lastError: status.lastError,
            lagSeconds: status.lagSeconds)
    }
}
