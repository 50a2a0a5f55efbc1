import FoundationEssentials

/// The worker's role lives in `WorkerRole`; the core routes its events there and carries out what
/// it returns.
extension CoordinatorCore {
    mutating func perform(_ actions: [WorkerRole.Action]) {
        for action in actions {
            switch action {
            case .execute(let assignment): emit(.execute(assignment))
            case .abandon(let key): emit(.abandon(key))
            case .send(let message, let node): send(message, to: node)
            }
        }
    }

    /// Shutting down: this node leaves the quorum's count and its worker takes no more work.
    mutating func drain() {
        draining = true
        statuses[name] = .left
        perform(worker.drain())
    }

    mutating func tick() {
        perform(receiver.expire(at: now.uptime, isAlive: isAlive))
        expireClaims()
        expireLeases()
        retryWrites()
        flushJournals()
        flushProgress()
        perform(worker.renewLeases(at: now.uptime, every: settings.leaseTTL / 3))
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
