import ClusterSystem
import Coordination
import Crypto
import FoundationEssentials
import Logging
import Membership
import MembershipShell
import Storage
import Wire

/// The shell around `CoordinatorCore`: it owns the clock, the store, the worker's tasks and the
/// outboxes to peers, executes the core's directives and feeds their completions back.
package actor CoordinatorNode {
    package nonisolated let name: String
    package nonisolated let settings: CoordinationSettings
    let system: ClusterSystem
    /// The transport this node's endpoints run on, for the node's other well-known actors' callers.
    package nonisolated var clusterSystem: ClusterSystem { system }
    let membership: MembershipService
    let store: any AssessmentStore
    let writer: StoreWriter
    let executor: any TaskRunner
    var logger: Logger
    var core: CoordinatorCore
    let origin = ContinuousClock.now
    let metrics = CoordinationMetrics()

    var endpoint: CoordinatorEndpoint?
    var outboxes: [String: PeerOutbox] = [:]
    /// Host and port of each member by name, from the membership view.
    var addresses: [String: (host: String, port: Int)] = [:]
    var statusByName: [String: SWIM.Status] = [:]
    var running: [TaskKey: Task<Void, Never>] = [:]
    var submitWaiters: [UInt64: CheckedContinuation<SubmitAnswer, Never>] = [:]
    var cancelWaiters: [UInt64: CheckedContinuation<CancelAnswer, Never>] = [:]
    var nextClientID: UInt64 = 1
    var background: [Task<Void, Never>] = []
    package private(set) var isSettled = false
    /// Watchers waiting for the next stored change of an assessment (see `nextChange`).
    var changeWaiters: [String: [CheckedContinuation<AssessmentSummary?, Never>]] = [:]
    var stopped = false
    /// Every node the stored records name: members a restarted node must count before its view has
    /// filled in again (`readFromReplicas`).
    var storedMembers: Set<String> = []
    /// Store completions, in the order the writer reports them, for the one task that feeds them to
    /// the core (`consumeCompletions`). A task per completion would not do: Swift does not promise
    /// that separate tasks reach the actor in the order they were made, and the core's replica
    /// metadata (and the simulation, which delivers them in order) assume they do.
    /// `CompletionOrderTests` fails with a task per completion.
    let completions: AsyncStream<AppliedWrite>.Continuation
    private let completionStream: AsyncStream<AppliedWrite>

    package init(
        system: ClusterSystem, membership: MembershipService, store: any AssessmentStore,
        executor: any TaskRunner, settings: CoordinationSettings
    ) {
        self.name = system.node.name
        self.settings = settings
        self.system = system
        self.membership = membership
        self.store = store
        self.writer = StoreWriter(store: store)
        self.executor = executor
        self.logger = system.logger
        self.core = CoordinatorCore(name: system.node.name, settings: settings, seed: UInt64.random(in: .min ... .max))
        (completionStream, completions) = AsyncStream.makeStream()
    }

    /// Registers `/coordinator`, loads what the store holds, and starts the timers and listeners.
    /// Call after `MembershipService.start()`.
    package func start() async throws {
        endpoint = system.makeWellKnown(CoordinatorEndpoint.path) {
            CoordinatorEndpoint(node: self, actorSystem: system)
        }
        let versions = try await store.versions()
        storedMembers = Set(versions.flatMap { $0.version.quorumSets.joined() })
        handle(.loaded(versions))
        let completionStream = self.completionStream
        background.append(
            Task { [weak self] in
                for await applied in completionStream {
                    guard let self else { return }
                    await self.applied(applied)
                }
            })
        await refreshMembership()
        let tickInterval = Duration.milliseconds(25)
        background.append(
            Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: tickInterval)
                    await self?.tick()
                }
            })
        let changes = membership.changes
        background.append(
            Task { [weak self] in
                for await _ in changes { await self?.refreshMembership() }
            })
        // Contacts age with time, not only with messages: looked at a few times a lease.
        let settings = self.settings
        background.append(
            Task { [weak self, membership] in
                var last: Set<String>? = nil
                while !Task.isCancelled, self != nil {
                    let heard = await membership.heard { settings.contactLease(members: $0, probeInterval: $1) }
                    if heard != last {
                        last = heard
                        await self?.handle(.heard(heard))
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            })
        let losses = system.connectionLosses
        background.append(
            Task { [weak self] in
                for await peer in losses { await self?.peerLost(peer.name) }
            })
        // "Not in the view" means "down" only once the view has filled in after joining.
        background.append(
            Task { [weak self, membership] in
                while !Task.isCancelled, await membership.status != .up {
                    try? await Task.sleep(for: .milliseconds(50))
                }
                try? await Task.sleep(for: .seconds(1))
                await self?.settle()
            })
    }

    var now: Moment { Moment(uptime: ContinuousClock.now - origin, wall: Date()) }

    func handle(_ event: CoordinatorEvent) {
        guard !stopped else { return }
        let directives = core.handle(event, at: now)
        for directive in directives { perform(directive) }
        metrics.record(core.counters)
        metrics.record(backlog: core.backlog)
        let atLimit = settings.backlogLimit > 0 && core.backlog >= settings.backlogLimit
        metrics.shedsKeyless.store(atLimit && core.shedsKeyless, ordering: .relaxed)
    }

    /// Why a keyless submission should be refused before it is read, or nil: this node is at its
    /// backlog limit and does not send keyless submissions to peers (`keylessID`), so it would own
    /// this one, and the refusal costs no call. A node over its share sends them on, and their owner
    /// checks its own limit (`SubmitAnswer.busy`): after a takeover the survivors send new assessments
    /// to a restarted node that holds few, and to each other, which costs the one at its limit a call.
    package nonisolated func backlogRefusal() -> String? {
        let backlog = metrics.backlog.load(ordering: .relaxed)
        guard settings.backlogLimit > 0, backlog >= settings.backlogLimit,
            !metrics.shedsKeyless.load(ordering: .relaxed)
        else { return nil }
        return "this node has \(backlog) unfinished assessments (backlog_limit \(settings.backlogLimit)); retry later"
    }

    func tick() { handle(.tick) }

    func applied(_ applied: AppliedWrite) {
        handle(.applied(applied.write, replyTo: applied.replyTo, applied.result))
        let id = applied.write.record.id
        guard case .success(.stored) = applied.result, changeWaiters[id] != nil else { return }
        if applied.write.changesSince == nil {
            changed(id, stored: AssessmentSummary(applied.write.record))
        } else {
            // A change holds only the agents it changed: its waiters get what this node stored, read
            // here (a waiter woken with nothing would ask the replica set).
            Task { [weak self] in
                guard let self else { return }
                let stored = try? await self.readLocal(AssessmentSummary.self, id: id)
                await self.changed(id, stored: stored)
            }
        }
    }

    func settle() {
        isSettled = true
        handle(.settled)
    }

    func peerLost(_ peer: String) {
        guard peer != name else { return }
        handle(.peerLost(peer))
    }

    func receive(_ envelopes: [Envelope]) {
        for envelope in envelopes { handle(.received(envelope)) }
    }

    /// The core sees one status per node name: the best of its incarnations, so a restarted node is
    /// `up` as soon as its new incarnation is, whatever is left of the old one.
    func refreshMembership() async {
        let members = await membership.view
        func rank(_ status: SWIM.Status) -> Int {
            switch status {
            case .up: 0
            case .suspect: 1
            case .joining: 2
            case .down: 3
            case .left: 4
            }
        }
        var best: [String: SWIM.Member] = [:]
        for member in members {
            let name = member.id.address.name
            if let current = best[name], rank(current.status) <= rank(member.status) { continue }
            best[name] = member
        }
        for (name, member) in best {
            addresses[name] = (member.id.address.host, member.id.address.port)
        }
        statusByName = best.mapValues(\.status)
        handle(.membership(statusByName))
    }

    func perform(_ directive: CoordinatorDirective) {
        switch directive {
        case .send(let message, let peer):
            let envelope = Envelope(from: name, message: message)
            metrics.sent(envelope)
            outbox(for: peer, control: message.travelsOnControlLane).enqueue(envelope)
        case .apply(let write, let replyTo):
            let completions = self.completions
            writer.write(write.replicated) { result in
                completions.yield(AppliedWrite(write: write, replyTo: replyTo, result: result))
            }
        case .readForPromise(let id, let epoch, let claimant):
            let store = self.store
            Task { [weak self] in
                let record = try? await store.read(id: id)
                let results = (try? await store.results(of: id)) ?? []
                await self?.handle(
                    .promiseRead(id: id, epoch: epoch, claimant: claimant, record: record, results: results))
            }
        case .readForRelay(let id, let target):
            let store = self.store
            Task { [weak self] in
                let record = try? await store.read(id: id)
                let results = (try? await store.results(of: id)) ?? []
                await self?.handle(.relayRead(id: id, to: target, record: record, results: results))
            }
        case .readFinal(let id, let writeID, let replyTo):
            let store = self.store
            Task { [weak self] in
                let record = try? await store.read(id: id)
                await self?.handle(.finalRead(id: id, writeID: writeID, replyTo: replyTo, record: record))
            }
        case .execute(let assignment):
            execute(assignment)
        case .abandon(let key):
            running.removeValue(forKey: key)?.cancel()
        case .answerSubmit(let clientID, let answer):
            submitWaiters.removeValue(forKey: clientID)?.resume(returning: answer)
        case .answerCancel(let clientID, let answer):
            cancelWaiters.removeValue(forKey: clientID)?.resume(returning: answer)
        case .deleteExpired(let cutoff):
            let store = self.store
            let logger = self.logger
            Task {
                do {
                    let removed = try await store.deleteExpired(updatedBefore: cutoff)
                    if removed > 0 { logger.info("retention removed \(removed) finished assessments") }
                } catch {
                    logger.error("retention failed: \(error)")
                }
            }
        case .log(let entry):
            var metadata: Logger.Metadata = [:]
            if let id = entry.assessmentID { metadata["assessment"] = "\(id)" }
            logger.log(level: entry.level.loggerLevel, "\(entry.message)", metadata: metadata)
        }
    }

    func execute(_ assignment: TaskAssignment) {
        let executor = self.executor
        let key = assignment.key
        running[key] = Task { [weak self] in
            let outcome: TaskOutcome
            do {
                let payload = try await executor.run(assignment)
                outcome = .succeeded(digest: Data(SHA256.hash(data: payload)), payload: payload)
            } catch {
                if Task.isCancelled { return }
                outcome = .threw(String(describing: error))
            }
            if Task.isCancelled { return }
            await self?.executed(key, outcome)
        }
    }

    func executed(_ key: TaskKey, _ outcome: TaskOutcome) {
        running[key] = nil
        handle(.executed(key, outcome))
    }

    func outbox(for peer: String, control: Bool) -> PeerOutbox {
        let key = control ? "\(peer)/control" : peer
        if let outbox = outboxes[key] { return outbox }
        let lane: Lane = control ? .control : .calls
        let timeout: Duration = control ? settings.leaseTTL / 3 : .seconds(5)
        let outbox = PeerOutbox { [weak self] batch in
            // No address yet (not in the view): dropped like any lost message.
            guard let remote = await self?.remoteEndpoint(peer) else { return }
            do {
                try await ClusterSystem.$callOptions.withValue(.init(timeout: timeout, lane: lane)) {
                    try await remote.deliver(batch)
                }
            } catch ClusterError.peerUnreachable {
                await self?.peerLost(peer)
            } catch ClusterError.messageTooLarge(_, let bytes, let limit) {
                // Not lost like other messages: it would be lost again on every retry.
                await self?.logger.error(
                    "a message to \(peer) of \(bytes) bytes exceeds the frame limit of \(limit) bytes and was not sent: raise max_frame_size on every node (\(batch.map(\.message.kind).joined(separator: ", ")))"
                )
            } catch ClusterError.deadlineExceeded where control {
                // A peer that lets lease traffic go unanswered may be paused: have membership probe
                // it now rather than at its turn (the probe decides; this is no verdict).
                await self?.membership.peerUnresponsive(peer)
            } catch {
                // Lost messages are the protocol's business: writes are retried, leases expire,
                // claims and forwarded requests time out.
                await self?.logger.debug("could not deliver \(batch.count) messages to \(peer): \(error)")
            }
        }
        outboxes[key] = outbox
        return outbox
    }
}

/// A replica write the store has answered, on its way back to the core.
struct AppliedWrite: Sendable {
    let write: ReplicaWrite
    let replyTo: String
    let result: Result<ReplicaOutcome, StoreError>
}

extension CoordinatorLog.Level {
    var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        }
    }
}
