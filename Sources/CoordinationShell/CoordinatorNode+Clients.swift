import ClusterSystem
import Coordination
import FoundationEssentials
import Membership
import Storage

/// What the HTTP API calls: submit, cancel, read and list from any node.
extension CoordinatorNode {
    /// Returns once the owner has the record on a majority of its replica set, or says why not. `id`
    /// is nil when the request has no idempotency key, and this node picks one (`keylessID`).
    package func submit(
        id: String?, request: Data, idempotencyKey: String?, tenant: String? = nil, title: String? = nil
    ) async -> SubmitAnswer {
        let id = id ?? core.keylessID { UUID().uuidString.lowercased() }
        let clientID = nextClientID
        nextClientID += 1
        let deadline = settings.submitTimeout + .seconds(1)
        // The core answers every submission, but a write that never reaches a majority (its replicas
        // died with it) has nobody to time it out: this does.
        Task { [weak self] in
            try? await Task.sleep(for: deadline)
            await self?.abandonSubmit(clientID)
        }
        return await withCheckedContinuation { continuation in
            submitWaiters[clientID] = continuation
            handle(
                .clientSubmit(
                    clientID: clientID, id: id, request: request, idempotencyKey: idempotencyKey, tenant: tenant,
                    title: title))
        }
    }

    func abandonSubmit(_ clientID: UInt64) {
        submitWaiters.removeValue(forKey: clientID)?.resume(
            returning: .unavailable("the replica set did not acknowledge in time"))
    }

    package func cancel(id: String, owner: String) async -> CancelAnswer {
        let clientID = nextClientID
        nextClientID += 1
        let deadline = settings.submitTimeout + .seconds(1)
        Task { [weak self] in
            try? await Task.sleep(for: deadline)
            await self?.abandonCancel(clientID)
        }
        return await withCheckedContinuation { continuation in
            cancelWaiters[clientID] = continuation
            handle(.clientCancel(clientID: clientID, id: id, owner: owner))
        }
    }

    func abandonCancel(_ clientID: UInt64) {
        cancelWaiters.removeValue(forKey: clientID)?.resume(returning: .unavailable("the owner did not answer in time"))
    }

    /// The owner's answer if it has one (one call, or none on the owner: status polls and event
    /// streams read this way); otherwise the newest version any replica holds.
    ///
    /// `mayAskEveryone` is asked before a read that found nothing on the likely replicas asks every
    /// member; when it says no the read throws `WideReadRefused` (the HTTP API's rate on such reads,
    /// docs/security.md, "Unknown ids").
    package func read(id: String, mayAskEveryone: @Sendable () -> Bool = { true }) async throws -> AssessmentRecord? {
        try await readCopy(AssessmentRecord.self, id: id, mayAskEveryone: mayAskEveryone)
    }

    /// `read`, as a summary: what status reads, event streams and cancellations need, without the
    /// request and the report leaving any store.
    package func readSummary(id: String, mayAskEveryone: @Sendable () -> Bool = { true }) async throws
        -> AssessmentSummary?
    {
        try await readCopy(AssessmentSummary.self, id: id, mayAskEveryone: mayAskEveryone)
    }

    func readCopy<Copy: RecordCopy>(_: Copy.Type, id: String, mayAskEveryone: @Sendable () -> Bool) async throws
        -> Copy?
    {
        let owner =
            core.replica(id)?.version.replicaSet.first
            ?? Placement.replicaSet(id, over: upMembers, factor: settings.replicationFactor).first
        if let owner, owner == name || statusByName[owner] == .up,
            let record = try? await readAsOwner(Copy.self, id: id, on: owner)
        {
            if record.status.isTerminal { return record }
            // An owner cut off from its replica set may have been deposed without knowing, and the
            // assessment finished elsewhere: its running copy counts only if the replica set holds
            // nothing newer (scripts/partitions read a completed assessment back as running from
            // the old owner; docs/partitions.md).
            guard let replicated = try await readFromReplicas(Copy.self, id: id, mayAskEveryone: mayAskEveryone),
                replicated.finality > record.finality
            else { return record }
            return replicated
        }
        return try await readFromReplicas(Copy.self, id: id, mayAskEveryone: mayAskEveryone)
    }

    private func readAsOwner<Copy: RecordCopy>(_: Copy.Type, id: String, on owner: String) async throws -> Copy? {
        if owner == name { return try await readAsOwner(Copy.self, id: id) }
        guard let endpoint = remoteEndpoint(owner) else { return nil }
        return try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(1))) {
            try await Copy.asOwner(id, from: endpoint)
        }
    }

    /// The record (or its summary) as this node holds it running, or stores it final as its last
    /// owner; nil otherwise, and the reader asks the replica set.
    func readAsOwner<Copy: RecordCopy>(_: Copy.Type, id: String) async throws -> Copy? {
        if let running = core.runningRecord(id) { return Copy(copyOf: running) }
        guard let stored = try await Copy.stored(id, in: store), stored.status.isTerminal,
            stored.replicaSet.first == name
        else { return nil }
        return stored
    }

    /// The newest version any replica holds: first the likely replicas (the current ranking and the
    /// replica set this node knows of), then those the found record names, then everyone.
    ///
    /// Nil (404) only when the members that answered "no such record" leave too few silent to hold
    /// an acknowledged copy: an acknowledged record is on a majority of its replica set, so at least
    /// `minimumCopies` members store it, and one of them would have answered. Otherwise (replicas
    /// down, partitioned away, timing out) it throws `ReplicaReadError` (503, retry): a replica set
    /// out of reach is no proof that the assessment does not exist. See docs/partitions.md.
    func readFromReplicas<Copy: RecordCopy>(
        _: Copy.Type, id: String, mayAskEveryone: @Sendable () -> Bool = { true }
    ) async throws -> Copy? {
        var asked: Set<String> = []
        var best: Copy?
        var denied: Set<String> = []
        var found: Set<String> = []
        var failures: [String: String] = [:]
        let up = upMembers
        var round = Placement.replicaSet(id, over: up, factor: settings.replicationFactor)
        round += core.replica(id)?.version.replicaSet ?? []
        for attempt in 0..<3 {
            let targets = Array(Set(round).subtracting(asked)).sorted()
            asked.formUnion(targets)
            for (source, answer) in await readEach(Copy.self, id, from: targets) {
                let record: Copy
                switch answer {
                case .found(let copy):
                    record = copy
                    found.insert(source)
                case .absent:
                    denied.insert(source)
                    continue
                case .failed(let reason):
                    failures[source] = reason
                    continue
                }
                guard let current = best else {
                    best = record
                    continue
                }
                // At equal versions the owner's copy wins: it carries progress not yet flushed.
                if record.finality > current.finality
                    || (record.finality == current.finality && source == record.replicaSet.first)
                {
                    best = record
                }
            }
            if let best {
                round = best.recordVersion.quorumSets.flatMap { $0 }
            } else if attempt == 0 {
                // Everyone is asked only for a record whose replica set moved since it was written;
                // for an id nobody holds that is a call to every member per read, so the caller
                // bounds how often it happens.
                if !Set(up).isSubset(of: asked), !mayAskEveryone() { throw WideReadRefused(id: id) }
                round = up
            }
            if Set(round).isSubset(of: asked) { break }
        }
        if let best {
            // A final state never changes. Anything else may be older than what a majority of the
            // replica set acknowledged, out of reach behind a partition: it counts only when a
            // majority of every set the record names answered (one of them holds the newest).
            // scripts/partitions read a completed assessment back as running (docs/partitions.md).
            if best.status.isTerminal { return best }
            let answered = denied.union(found)
            let short = best.recordVersion.quorumSets.filter { set in
                set.filter(answered.contains).count < set.count / 2 + 1
            }
            guard let set = short.first else { return best }
            throw ReplicaReadError(
                id: id,
                silent: set.filter { !answered.contains($0) }.sorted().map { member in
                    (member, failures[member] ?? (asked.contains(member) ? "did not answer" : "not up"))
                }, members: set.count, newer: true)
        }
        // The members it knows of, those its records name too: a node restarted during a partition
        // knew two members for a moment and took their "none" for an answer (scripts/partitions,
        // docs/partitions.md). Before its view has settled it does not conclude at all.
        let members = Set(addresses.keys).union(storedMembers).union([name])
        let silent = members.subtracting(denied)
        if isSettled, silent.count < minimumCopies(members: members.count) { return nil }
        throw ReplicaReadError(
            id: id,
            silent: silent.sorted().map { member in
                (member, failures[member] ?? (asked.contains(member) ? "did not answer" : "not up"))
            }, members: members.count, newer: false)
    }

    /// The fewest members that store an acknowledged record: a majority of the smallest replica set
    /// a quorate cluster places (a majority of the members, at most the replication factor).
    func minimumCopies(members: Int) -> Int {
        min(settings.replicationFactor, members / 2 + 1) / 2 + 1
    }

    var upMembers: [String] {
        addresses.keys.filter { $0 == name || statusByName[$0] == .up }.sorted()
    }

    /// What each of `nodes` holds of `id`: a record, none, or why it could not say.
    func readEach<Copy: RecordCopy>(_: Copy.Type, _ id: String, from nodes: [String]) async
        -> [(source: String, answer: ReplicaAnswer<Copy>)]
    {
        await withTaskGroup(of: (String, ReplicaAnswer<Copy>).self) { group in
            for node in nodes {
                group.addTask { [self] in
                    do {
                        return (node, try await readOne(Copy.self, id, on: node).map(ReplicaAnswer.found) ?? .absent)
                    } catch {
                        return (node, .failed(String(describing: error)))
                    }
                }
            }
            var answers: [(source: String, answer: ReplicaAnswer<Copy>)] = []
            for await answer in group { answers.append(answer) }
            return answers
        }
    }

    func readOne<Copy: RecordCopy>(_: Copy.Type, _ id: String, on node: String) async throws -> Copy? {
        if node == name { return try await readLocal(Copy.self, id: id) }
        guard let endpoint = remoteEndpoint(node) else { throw ReplicaReadError.noAddress(node) }
        return try await Copy.stored(id, from: endpoint)
    }

    func remoteEndpoint(_ node: String) -> CoordinatorEndpoint? {
        guard let address = addresses[node] else { return nil }
        return try? CoordinatorEndpoint.at(name: node, host: address.host, port: address.port, using: system)
    }

    /// The stored record; on its owner, with the progress of the moment (flushed to replicas at most
    /// every `progressFlush`). Only progress: what the record commits to (its status once final, its
    /// report) is what a majority stored.
    func readLocal<Copy: RecordCopy>(_: Copy.Type, id: String) async throws -> Copy? {
        guard var copy = try await Copy.stored(id, in: store) else { return nil }
        if let live = core.liveRecord(id), live.epoch == copy.epoch, !live.status.isTerminal, !copy.status.isTerminal {
            copy.status = live.status
            copy.progress = live.progress
        }
        return copy
    }

    /// Summaries only, never the request or the report: with reports of about 111 KB, one member's
    /// page of 201 full records was 22 MB, over the transport's frame limit.
    func listLocal(statuses: [String], limit: Int, after cursor: PageCursor?) async throws -> [AssessmentSummary] {
        let wanted = Set(statuses.compactMap(AssessmentStatus.init(rawValue:)))
        let page = try await store.list(
            statuses: wanted, limit: limit,
            after: cursor.map { ListCursor(createdAt: $0.createdAt, id: $0.id) })
        return page.records
    }

    /// Newest first across every member that is up. Each member returns its own newest `limit + 1`;
    /// merged, deduplicated to the newest version of each id and cut at `limit`.
    package func list(statuses: Set<AssessmentStatus>, limit: Int, after cursor: PageCursor?) async throws
        -> (records: [AssessmentSummary], next: PageCursor?)
    {
        let names = statuses.map(\.rawValue).sorted()
        let nodes = upMembers
        let pages = await withTaskGroup(of: [AssessmentSummary].self) { group in
            for node in nodes {
                group.addTask { [self] in
                    if node == name {
                        return (try? await listLocal(statuses: names, limit: limit + 1, after: cursor)) ?? []
                    }
                    guard let endpoint = await remoteEndpoint(node) else { return [] }
                    return (try? await endpoint.list(statuses: names, limit: limit + 1, after: cursor)) ?? []
                }
            }
            var all: [[AssessmentSummary]] = []
            for await page in group { all.append(page) }
            return all
        }
        var newest: [String: AssessmentSummary] = [:]
        for record in pages.joined() where newest[record.id].map({ record.finality > $0.finality }) ?? true {
            newest[record.id] = record
        }
        // A copy that is stale on one replica may still match a status filter the newest does not.
        let merged = newest.values
            .filter { statuses.isEmpty || statuses.contains($0.status) }
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        let page = Array(merged.prefix(limit))
        let next = merged.count > limit ? page.last.map { PageCursor(createdAt: $0.createdAt, id: $0.id) } : nil
        return (page, next)
    }

    /// Every member of the view, tombstones included, by id; each carries the metadata it announced
    /// (its HTTP address among them, see `ClusterAssessmentService.cluster`).
    package func members() async -> [SWIM.Member] {
        await membership.view.sorted(by: { $0.id < $1.id })
    }

    /// Joined, settled and quorate; the reasons when not.
    package func readiness() async -> [String] {
        var problems: [String] = []
        if await membership.status != .up { problems.append("not joined to the cluster yet") }
        if !isSettled { problems.append("membership has not settled since start") }
        if !core.quorate {
            problems.append("no quorum: this node does not see a majority of the cluster")
        } else if let problem = core.submissionProblem {
            // Ready means ready for submissions: a node that would refuse them is not.
            problems.append(problem)
        }
        if stopped { problems.append("shutting down") }
        return problems
    }

    package var counters: CoordinationCounters { core.counters }

    /// SIGTERM: refuse new tasks, hand queued ones back, wait (up to `timeout`) for running ones to
    /// finish and their results to go out, then stop the timers.
    package func drain(timeout: Duration) async {
        handle(.drain)
        let deadline = ContinuousClock.now + timeout
        while core.workerLoad > 0 || !running.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Let the last results and writes leave the outboxes.
        try? await Task.sleep(for: .milliseconds(200))
        stop()
    }

    package func stop() {
        stopped = true
        for task in background { task.cancel() }
        for task in running.values { task.cancel() }
        background.removeAll()
        running.removeAll()
        for (_, waiter) in submitWaiters { waiter.resume(returning: .unavailable("node shutting down")) }
        for (_, waiter) in cancelWaiters { waiter.resume(returning: .unavailable("node shutting down")) }
        submitWaiters.removeAll()
        cancelWaiters.removeAll()
        for waiter in changeWaiters.values.joined() { waiter.resume(returning: nil) }
        changeWaiters.removeAll()
    }

    /// Returns the record when this node stores a newer version of `id`, or nil after `timeout`,
    /// whichever is first. A node in the replica set learns of every change the moment it is written,
    /// so an event stream follows an assessment without polling the cluster, and without reading the
    /// store: the record comes with the wake-up. Elsewhere the timeout is the poll interval.
    package func nextChange(of id: String, timeout: Duration) async -> AssessmentSummary? {
        await withCheckedContinuation { continuation in
            changeWaiters[id, default: []].append(continuation)
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                // Wakes every waiter of `id`, not only this one: they all re-read, which is what
                // they would do on a change anyway.
                await self?.changed(id, stored: nil)
            }
        }
    }

    func changed(_ id: String, stored: AssessmentSummary?) {
        for waiter in changeWaiters.removeValue(forKey: id) ?? [] { waiter.resume(returning: stored) }
    }

    /// The longest a member holds a call of `awaitNewer` before answering that nothing changed.
    package static let longestAwait: Duration = .seconds(10)

    /// A version of `id` newer than `after`, from `holder` (a member that stores it), as soon as it
    /// stores one, or nil when none came within `wait` or `holder` does not store `id`. An event
    /// stream on a node outside the replica set follows an assessment this way: one call per change
    /// instead of a read of the replica set per poll interval (docs/performance.md, "The data path").
    package func awaitNewer(
        of id: String, than after: (epoch: Int, version: Int), on holder: String, wait: Duration
    ) async throws -> AssessmentSummary? {
        if holder == name { return await newerStored(of: id, than: after, wait: wait) }
        guard let endpoint = remoteEndpoint(holder) else { return nil }
        // The holder caps the wait at `longestAwait` (`newerStored`).
        return try await ClusterSystem.$callOptions.withValue(.init(timeout: wait + .seconds(2))) {
            try await endpoint.awaitNewer(
                id: id, epoch: after.epoch, version: after.version, waitMilliseconds: Int(wait / .milliseconds(1)))
        }
    }

    /// `awaitNewer` on the member that stores `id`: woken by each write it stores.
    package func newerStored(of id: String, than after: (epoch: Int, version: Int), wait: Duration) async
        -> AssessmentSummary?
    {
        let deadline = ContinuousClock.now + min(wait, Self.longestAwait)
        while true {
            guard let held = storedVersion(of: id) else { return nil }
            if held > after { return try? await readLocal(AssessmentSummary.self, id: id) }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            if let stored = await nextChange(of: id, timeout: left), (stored.epoch, stored.version) > after {
                return stored
            }
        }
    }

    /// The first of `nodes` that is this node or up, to ask with `awaitNewer`.
    package func firstReachable(of nodes: [String]) -> String? {
        nodes.first { $0 == name || statusByName[$0] == .up }
    }

    /// The version of `id` this node stores, if it holds a copy (it is, or was, in its replica set).
    package func storedVersion(of id: String) -> (epoch: Int, version: Int)? {
        core.replica(id).map { ($0.version.epoch, $0.version.version) }
    }
}

/// A read that found nothing on the likely replicas and was not let ask every member.
package struct WideReadRefused: Error, CustomStringConvertible {
    package let id: String
    package var description: String {
        "\(id) is not on its replica set and this node is at its rate of reads that ask every member; retry"
    }
}

/// One replica's answer to a read.
enum ReplicaAnswer<Copy: RecordCopy>: Sendable {
    case found(Copy)
    /// It answered, and holds no record of that id.
    case absent
    case failed(String)
}

/// A read that found no record but could not rule one out: too many members did not answer.
package struct ReplicaReadError: Error, CustomStringConvertible {
    package let id: String
    /// Members that did not say "no such record", with why.
    package let silent: [(member: String, reason: String)]
    package let members: Int
    /// A copy was found, but not from enough of its replica set to know it is the newest.
    package let newer: Bool

    package var description: String {
        let who = silent.map { "\($0.member): \($0.reason)" }.joined(separator: "; ")
        if newer {
            return
                "a newer version of \(id) may be on replicas out of reach (\(who)); retry once they are reachable"
        }
        return
            "\(silent.count) of \(members) members could not be asked whether \(id) exists (\(who)); retry once they are reachable"
    }

    static func noAddress(_ node: String) -> some Error { NoAddress(node: node) }

    struct NoAddress: Error, CustomStringConvertible {
        let node: String
        var description: String { "no address known for \(node)" }
    }
}
