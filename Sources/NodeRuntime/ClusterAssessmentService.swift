import Assessment
import CoordinationShell
import Crypto
import FoundationEssentials
import HTTPAPI
import Membership
import Printf
import Storage

/// The HTTP API's view of the cluster: every route lands here and goes through this node's
/// coordinator, which forwards to owners and reads from replica sets.
struct ClusterAssessmentService: AssessmentService {
    let coordinator: CoordinatorNode
    /// The archive, when `archive_mongodb_uri` is set: it answers for assessments the cluster no
    /// longer holds (ClusterAssessmentService+Archive.swift).
    var archive: NodeArchive?
    /// The pause between a follower's reads when it has nothing to wait on: a replica between its
    /// checks of what it stores, another node after a read that no replica could wait on for it
    /// (a replica is woken by each stored change at once, and others wait on a replica).
    var pollInterval: Duration = .milliseconds(150)
    /// A replica that saw no write for this many poll intervals asks the replica set all the same.
    static let quietPollsPerRead = 6
    /// How long a follower outside the replica set waits on a replica for a newer version before it
    /// reads the replica set again (the record may have moved).
    static let awaitWait: Duration = .seconds(5)
    /// The one follower per id that all of this node's event streams of it share (`WatchHub`).
    var watches = WatchHub()
    /// The rate of reads that ask every member (`WideReadGate`); nil: no limit.
    var wideReads: WideReadGate?

    /// Every id the cluster issues is a UUID (a random one, or `assessmentID(idempotencyKey:)`'s
    /// digest in UUID form): anything else is answered 404 without a call to any member or the archive.
    static func isAssessmentID(_ id: String) -> Bool { UUID(uuidString: id) != nil }

    /// With an idempotency key the id is a function of the tenant and the key, so whichever node
    /// receives a retry picks the same id, hence the same owner, which finds the record and answers
    /// with it, and two tenants' equal keys never meet (docs/security.md, "Idempotency keys").
    /// Without a key the coordinator picks the id (one this node owns, see `keylessID`).
    static func assessmentID(idempotencyKey key: String, tenant: String = Caller.defaultTenant) -> String {
        // The default tenant keeps the ids keys had before tenants, so a retry across an upgrade
        // still finds its assessment.
        let scoped = tenant == Caller.defaultTenant ? key : "\(tenant)/\(key)"
        let digest = Array(SHA256.hash(data: Data("inframind-idempotency-key:\(scoped)".utf8)))
        let hex = digest.prefix(16).map { String(printf: "%02x", $0) }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(
                hex[
                    hex.index(
                        hex.startIndex, offsetBy: range.lowerBound)..<hex.index(
                            hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }

    func submit(request: AssessmentRequest, idempotencyKey: String?, tenant: String) async throws(ServiceError)
        -> SubmitReceipt
    {
        let id = idempotencyKey.map { Self.assessmentID(idempotencyKey: $0, tenant: tenant) }
        // Stored scoped by tenant: the store keeps keys unique, and two tenants may use the same one.
        let storedKey = idempotencyKey.map { "\(tenant)/\($0)" }
        let stored: Data
        do {
            stored = try request.binaryForm()
        } catch {
            throw .badRequest("the request cannot be stored: \(error)")
        }
        switch await coordinator.submit(
            id: id, request: stored, idempotencyKey: storedKey, tenant: tenant, title: request.title)
        {
        case .accepted(let id, let existing):
            guard existing else { return SubmitReceipt(id: id, state: .queued, existing: false) }
            // A repeat is the same submission only with the same request: the record keeps it whole,
            // so it is compared whole rather than through a digest (as typed values: the record may
            // hold the JSON an earlier version stored).
            let record = try await self.record(id)
            guard (try? AssessmentRequest(storedForm: record.request)) == request,
                (record.tenant ?? Caller.defaultTenant) == tenant
            else {
                throw .keyReused(key: idempotencyKey ?? "")
            }
            return SubmitReceipt(id: id, state: Self.state(record.status), existing: true)
        case .unavailable(let reason):
            throw .unavailable(reason)
        case .busy(let reason):
            throw .overloaded(retryAfterSeconds: 1, reason: reason)
        }
    }

    func submissionRefusal() -> String? { coordinator.backlogRefusal() }

    func assessment(id: String) async throws(ServiceError) -> AssessmentSnapshot {
        try await snapshotAndReplicaSet(id).snapshot
    }

    func report(id: String) async throws(ServiceError) -> Data {
        guard Self.isAssessmentID(id) else { throw .notFound(id: id) }
        let record: AssessmentRecord
        do {
            record = try await self.record(id)
        } catch {
            guard case .notFound = error else { throw error }
            return try await archivedReport(id)
        }
        guard record.status == .completed, let report = record.report else {
            throw .notFinished(id: id, state: Self.state(record.status))
        }
        return report
    }

    func cancel(id: String) async throws(ServiceError) -> AssessmentSnapshot {
        let record = try await summary(id)
        guard !record.status.isTerminal, let owner = record.replicaSet.first else { return Self.snapshot(record) }
        switch await coordinator.cancel(id: id, owner: owner) {
        case .cancelled, .alreadyFinal: return Self.snapshot(try await summary(id))
        // The record was just read, so it exists: an owner that does not know it is one the record
        // has moved away from (a takeover under way), not proof of absence.
        case .notFound: throw .unavailable("\(owner) no longer owns \(id); retry")
        case .unavailable(let reason): throw .unavailable(reason)
        }
    }

    func list(
        statuses: Set<AssessmentState>, limit: Int, cursor: String?, tenant: String?, title: String?
    ) async throws(ServiceError) -> AssessmentPage {
        var after: PageCursor?
        if let cursor {
            guard let parsed = Self.pageCursor(token: cursor) else {
                throw .badRequest("cursor \(cursor) is not one we issued")
            }
            after = parsed
        }
        let wanted = Set(statuses.map(Self.status))
        // The cluster lists every tenant's records; one tenant's page (or the titles a search matches)
        // is filled from as many of the cluster's pages as it takes, and its cursor is the last record
        // it shows. A filtered listing reads the cluster in larger pages and scans at most
        // `maxScannedPerPage` records for one answer: past that it answers what it found with a cursor
        // after the last record it read, so a search matching nothing costs a bounded walk per request.
        let filtered = tenant != nil || title != nil
        let pageSize = filtered ? max(limit, Self.filteredPageSize) : limit
        var items: [AssessmentSnapshot] = []
        var scanned = 0
        while true {
            let page: (records: [AssessmentSummary], next: PageCursor?)
            do {
                page = try await coordinator.list(statuses: wanted, limit: pageSize, after: after)
            } catch {
                throw .unavailable("listing failed: \(error)")
            }
            for record in page.records {
                scanned += 1
                if let tenant, tenant != (record.tenant ?? Caller.defaultTenant) { continue }
                let snapshot = Self.snapshot(record)
                if let title, !snapshot.titleContains(title) { continue }
                items.append(snapshot)
                if items.count == limit {
                    let more = record.id != page.records.last?.id || page.next != nil
                    let next = ListCursor(createdAt: record.createdAt, id: record.id).token
                    return AssessmentPage(items: items, next: more ? next : nil)
                }
            }
            guard let next = page.next else { break }
            if scanned >= Self.maxScannedPerPage {
                return AssessmentPage(items: items, next: ListCursor(createdAt: next.createdAt, id: next.id).token)
            }
            after = next
        }
        return AssessmentPage(items: items, next: nil)
    }

    /// A client's cursor token as the cluster's listing takes it, or nil for one this node never
    /// issued. Its time is a bit pattern in lowercase hex, as `ListCursor.token` writes it (no sign,
    /// at most 16 digits: openapi.json's pattern for `cursor`), so a client can write any Double
    /// there: a NaN or an infinity is refused here, since the cluster's codec carries finite numbers
    /// only (docs/transport.md, "Serialization").
    static func pageCursor(token: String) -> PageCursor? {
        let time = token.unicodeScalars.prefix { $0 != "." }
        guard (1...16).contains(time.count), time.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }),
            let parsed = ListCursor(token: token), parsed.createdAt.timeIntervalSinceReferenceDate.isFinite
        else { return nil }
        return PageCursor(createdAt: parsed.createdAt, id: parsed.id)
    }

    /// The cluster page size of a tenant's or a title search's listing.
    static let filteredPageSize = 200
    /// The most records one filtered listing request reads before answering (see `list`).
    static let maxScannedPerPage = 2_000

    func watch(id: String) -> AsyncThrowingStream<AssessmentSnapshot, any Error> {
        guard Self.isAssessmentID(id) else {
            return AsyncThrowingStream { $0.finish(throwing: ServiceError.notFound(id: id)) }
        }
        return watches.stream(id: id) { [self] in follow(id: id) }
    }

    /// The one follower of `id` behind `watch`: woken by this node's stored changes on a replica;
    /// elsewhere waiting on a replica for each newer version (`CoordinatorNode.awaitNewer`), with a
    /// read of the replica set when none came for a while, in case the record moved.
    func follow(id: String) -> AsyncThrowingStream<AssessmentSnapshot, any Error> {
        let interval = pollInterval
        return AsyncThrowingStream { continuation in
            let task = Task {
                var last: (epoch: Int, version: Int)?
                var woken: AssessmentSummary?
                var quietPolls = 0
                var replicaSet: [String] = []
                while !Task.isCancelled {
                    // Whether to wait a poll interval before the next round: not after a version a
                    // replica handed over, since the next wait on it is what brings the one after.
                    var paced = true
                    do {
                        // A replica is woken by each write with the record it stored: it need not ask
                        // the owner (a call, and the whole record, for every change of every stream).
                        // When nothing arrived it asks now and then: the record may have moved away.
                        // A write stored while this stream was not waiting wakes nobody; the version
                        // this node holds tells, at the next poll interval.
                        let snapshot: AssessmentSnapshot
                        let held = await coordinator.storedVersion(of: id)
                        if let last, let stored = woken, (stored.epoch, stored.version) > last {
                            snapshot = Self.snapshot(stored)
                        } else if let last, quietPolls < Self.quietPollsPerRead, let held, held <= last {
                            quietPolls += 1
                            woken = await coordinator.nextChange(of: id, timeout: interval)
                            continue
                        } else if let last, held == nil, let holder = await coordinator.firstReachable(of: replicaSet),
                            let newer = try? await coordinator.awaitNewer(
                                of: id, than: last, on: holder, wait: Self.awaitWait)
                        {
                            snapshot = Self.snapshot(newer)
                            replicaSet = newer.replicaSet
                            paced = false
                        } else {
                            (snapshot, replicaSet) = try await snapshotAndReplicaSet(id)
                        }
                        quietPolls = 0
                        if last.map({ $0 != (snapshot.epoch, snapshot.version) }) ?? true {
                            last = (snapshot.epoch, snapshot.version)
                            continuation.yield(snapshot)
                        }
                        if snapshot.state.isFinal { break }
                    } catch {
                        continuation.finish(throwing: error)
                        return
                    }
                    woken = paced ? await coordinator.nextChange(of: id, timeout: interval) : nil
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The newest version the replica set holds, or the archive's when the cluster no longer holds
    /// it; with the replica set a follower waits on next (none for an archived assessment, which does
    /// not change).
    private func snapshotAndReplicaSet(_ id: String) async throws(ServiceError)
        -> (snapshot: AssessmentSnapshot, replicaSet: [String])
    {
        guard Self.isAssessmentID(id) else { throw .notFound(id: id) }
        do {
            let found = try await summary(id)
            return (Self.snapshot(found), found.replicaSet)
        } catch {
            guard case .notFound = error else { throw error }
            return (try await archivedSnapshot(id), [])
        }
    }

    /// The key of a member's HTTP address in its membership metadata (`SWIM.Member.metadata`),
    /// which each node sets when it starts (`Node.run`).
    static let httpAddressKey = "http"

    func cluster() async -> ClusterSnapshot {
        let members = await coordinator.members().map { member in
            MemberSnapshot(
                id: member.id.address.name,
                clusterAddress: "\(member.id.address.host):\(member.id.address.port)",
                httpAddress: member.metadata?[Self.httpAddressKey], status: member.status.rawValue,
                incarnation: member.incarnation)
        }
        return ClusterSnapshot(selfID: coordinator.name, members: members)
    }

    /// Live members other than this one, asked at once; a member that has not answered within a
    /// second is reported as such (the page shows it without its load).
    func memberStats() async -> [MemberStats] {
        let others = await coordinator.members().filter {
            $0.id.address.name != coordinator.name && ($0.status.isAlive || $0.status == .suspect)
        }
        let answers = await StatsEndpoint.gather(
            from: others.map { ($0.id.address.name, $0.id.address.host, $0.id.address.port) },
            using: coordinator.clusterSystem, timeout: .seconds(1))
        return answers.map { MemberStats(node: $0.node, stats: $0.stats, error: $0.error) }
    }

    func readiness() async -> Readiness {
        let problems = await coordinator.readiness()
        return Readiness(ready: problems.isEmpty, reasons: problems)
    }

    private func record(_ id: String) async throws(ServiceError) -> AssessmentRecord {
        try await read(id) { [coordinator] id, gate in try await coordinator.read(id: id, mayAskEveryone: gate) }
    }

    /// What status reads, event streams and cancellations need: no request, no report.
    private func summary(_ id: String) async throws(ServiceError) -> AssessmentSummary {
        try await read(id) { [coordinator] id, gate in
            try await coordinator.readSummary(id: id, mayAskEveryone: gate)
        }
    }

    private func read<Copy>(
        _ id: String, _ reading: (String, @escaping @Sendable () -> Bool) async throws -> Copy?
    ) async throws(ServiceError) -> Copy {
        guard Self.isAssessmentID(id) else { throw .notFound(id: id) }
        let found: Copy?
        let gate = wideReads
        do {
            found = try await reading(id, { gate?.permit() ?? true })
        } catch let refused as WideReadRefused {
            throw .unavailable(refused.description)
        } catch {
            throw .unavailable("cannot read \(id): \(error)")
        }
        guard let found else { throw .notFound(id: id) }
        return found
    }

    static func state(_ status: AssessmentStatus) -> AssessmentState {
        switch status {
        case .pending: .queued
        case .running: .running
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    static func status(_ state: AssessmentState) -> AssessmentStatus {
        switch state {
        case .queued: .pending
        case .running: .running
        case .completed: .completed
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    static func snapshot(_ record: AssessmentSummary) -> AssessmentSnapshot {
        var snapshot = AssessmentSnapshot(
            id: record.id, state: state(record.status), percent: record.progress.percent,
            step: record.progress.currentStep,
            agents: record.progress.agents.map {
                AgentSnapshot(
                    name: $0.agent, state: $0.state.rawValue, attempts: $0.attempt, node: $0.node,
                    startedAt: $0.startedAt, finishedAt: $0.finishedAt)
            },
            failure: record.failure, createdAt: record.createdAt, updatedAt: record.updatedAt,
            version: record.version, epoch: record.epoch)
        snapshot.tenant = record.tenant
        snapshot.title = record.title
        return snapshot
    }
}
