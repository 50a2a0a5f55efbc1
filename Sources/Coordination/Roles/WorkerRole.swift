/// A node's worker role (docs/coordination.md, "Roles"): the tasks owners assigned to this node,
/// run up to the concurrency limit, their leases renewed with each owner, their outcomes reported.
///
/// It owns its state and nothing else: it reads no membership and writes no record. The core routes
/// the events that concern it here and carries out the actions it returns, in order.
struct WorkerRole: Sendable {
    enum Action: Sendable {
        /// Start running a task (the shell's `.execute`).
        case execute(TaskAssignment)
        /// Stop a running task and drop its outcome (the shell's `.abandon`).
        case abandon(TaskKey)
        case send(CoordinationMessage, to: String)
    }

    let concurrency: Int
    private(set) var running: [TaskKey: TaskAssignment] = [:]
    private(set) var queued: [TaskAssignment] = []
    /// Shutting down: every new assignment is refused.
    private(set) var draining = false
    /// When leases were last renewed.
    private(set) var lastRenewal: Duration = .zero

    init(concurrency: Int) { self.concurrency = concurrency }

    /// Tasks running or queued here.
    var load: Int { running.count + queued.count }

    /// What this worker reports to `owner` as its load: the tasks it holds for other owners. The
    /// owner counts its own by its leases (`OwnerRole.workerLoads()`), which are exact where a report
    /// lags.
    func load(besides owner: String) -> Int {
        running.values.count { $0.owner != owner } + queued.count { $0.owner != owner }
    }

    mutating func assigned(_ assignment: TaskAssignment, from owner: String) -> [Action] {
        if draining { return [.send(.refuse(assignment.key), to: owner)] }
        // A retry goes ahead of first attempts (behind earlier retries): its assessment has already
        // waited for a failure to be noticed, and the promise is that requeued work runs again at once.
        if assignment.key.attempt > 1, let first = queued.firstIndex(where: { $0.key.attempt <= 1 }) {
            queued.insert(assignment, at: first)
        } else {
            queued.append(assignment)
        }
        return startQueued()
    }

    /// A task ended here: the next queued one starts, and the owner hears the outcome with the load.
    mutating func executed(_ key: TaskKey, _ outcome: TaskOutcome) -> [Action] {
        guard let assignment = running.removeValue(forKey: key) else { return [] }
        let started = startQueued()
        return started + [.send(.finished(key, outcome, load: load(besides: assignment.owner)), to: assignment.owner)]
    }

    /// The owner no longer wants these: they were requeued elsewhere, cancelled or already finished.
    mutating func revoke(_ keys: [TaskKey]) -> [Action] {
        let revoked = Set(keys)
        queued.removeAll { revoked.contains($0.key) }
        var actions: [Action] = []
        for key in keys where running.removeValue(forKey: key) != nil { actions.append(.abandon(key)) }
        return actions + startQueued()
    }

    /// The owner of some of these tasks is down: its successor places them again, so running them
    /// here would only burn CPU.
    mutating func ownerGone(_ owner: String) -> [Action] {
        let keys = running.filter { $0.value.owner == owner }.map(\.key).sorted { $0.description < $1.description }
        queued.removeAll { $0.owner == owner }
        var actions: [Action] = []
        for key in keys {
            running[key] = nil
            actions.append(.abandon(key))
        }
        return actions + startQueued()
    }

    /// Renews every lease this worker holds, one message per owner (on the control lane), once
    /// `interval` has passed since the last renewal.
    mutating func renewLeases(at now: Duration, every interval: Duration) -> [Action] {
        guard now - lastRenewal >= interval else { return [] }
        lastRenewal = now
        var byOwner: [String: [TaskKey]] = [:]
        for assignment in running.values { byOwner[assignment.owner, default: []].append(assignment.key) }
        for assignment in queued { byOwner[assignment.owner, default: []].append(assignment.key) }
        return byOwner.keys.sorted().map { owner in
            let keys = byOwner[owner]!.sorted { $0.description < $1.description }
            return .send(.renew(keys: keys, load: load(besides: owner)), to: owner)
        }
    }

    /// Shutting down: take no more work and hand queued tasks back; running ones finish.
    mutating func drain() -> [Action] {
        draining = true
        defer { queued.removeAll() }
        return queued.map { .send(.refuse($0.key), to: $0.owner) }
    }

    mutating func startQueued() -> [Action] {
        var actions: [Action] = []
        while running.count < concurrency, !queued.isEmpty {
            let next = queued.removeFirst()
            running[next.key] = next
            actions.append(.execute(next))
        }
        return actions
    }
}
