import FoundationEssentials

/// The worker's side: run assigned tasks up to the concurrency limit, renew their leases, report.
extension CoordinatorCore {
    mutating func assigned(_ assignment: TaskAssignment, from owner: String) {
        if draining {
            send(.refuse(assignment.key), to: owner)
            return
        }
        // A retry goes ahead of first attempts (behind earlier retries): its assessment has already
        // waited for a failure to be noticed, and the promise is that requeued work runs again at once.
        if assignment.key.attempt > 1, let first = worker.queued.firstIndex(where: { $0.key.attempt <= 1 }) {
            worker.queued.insert(assignment, at: first)
        } else {
            worker.queued.append(assignment)
        }
        startQueuedTasks()
    }

    mutating func startQueuedTasks() {
        while worker.running.count < settings.workerConcurrency, !worker.queued.isEmpty {
            let next = worker.queued.removeFirst()
            worker.running[next.key] = next
            emit(.execute(next))
        }
    }

    mutating func executed(_ key: TaskKey, _ outcome: TaskOutcome) {
        guard let assignment = worker.running.removeValue(forKey: key) else { return }
        startQueuedTasks()
        send(.finished(key, outcome, load: worker.load), to: assignment.owner)
    }

    /// The owner no longer wants these: they were requeued elsewhere, cancelled or already finished.
    mutating func revoke(_ keys: [TaskKey]) {
        let revoked = Set(keys)
        worker.queued.removeAll { revoked.contains($0.key) }
        for key in keys where worker.running.removeValue(forKey: key) != nil {
            emit(.abandon(key))
        }
        startQueuedTasks()
    }

    /// Renews every lease this worker holds, one message per owner, on the control lane.
    mutating func renewLeases() {
        lastRenewal = now.uptime
        var byOwner: [String: [TaskKey]] = [:]
        for assignment in worker.running.values { byOwner[assignment.owner, default: []].append(assignment.key) }
        for assignment in worker.queued { byOwner[assignment.owner, default: []].append(assignment.key) }
        for owner in byOwner.keys.sorted() {
            let keys = byOwner[owner]!.sorted { $0.description < $1.description }
            send(.renew(keys: keys, load: worker.load), to: owner)
        }
    }

    /// Shutting down: take no more work and hand queued tasks back; running ones finish.
    mutating func drain() {
        draining = true
        statuses[name] = .left
        for assignment in worker.queued { send(.refuse(assignment.key), to: assignment.owner) }
        worker.queued.removeAll()
    }

    mutating func tick() {
        expireForwarded()
        expireClaims()
        expireLeases()
        retryWrites()
        flushJournals()
        flushProgress()
        if now.uptime - lastRenewal >= settings.leaseTTL / 3 { renewLeases() }
        if now.uptime - lastReconcile >= settings.reconcileInterval { reconcile() }
        if now.uptime - lastExpiry >= .seconds(60) { expireRecords() }
    }

    /// Retention: finished records past their time go from memory here and from the store by directive.
    mutating func expireRecords() {
        lastExpiry = now.uptime
        let seconds = Double(settings.retention.components.seconds)
        let cutoff = now.wall.addingTimeInterval(-seconds)
        // Records that finished, or went, by a path other than a stored write.
        heardOf = heardOf.filter { replicas[$0.key]?.status.isTerminal == false }
        let expired = replicas.all.filter { $0.value.status.isTerminal && $0.value.updatedAt < cutoff }.map(\.key)
        guard !expired.isEmpty else { return }
        for id in expired where owned[id] == nil { replicas[id] = nil }
        emit(.deleteExpired(before: cutoff))
    }
}
