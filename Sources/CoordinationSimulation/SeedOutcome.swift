import Coordination
import FoundationEssentials
import Printf
import Storage

/// What one seed's run did.
package struct SeedOutcome: Sendable {
    package var seed: UInt64
    package var violation: Violation?
    package var faults: [FaultKind: Int]
    package var recoveries: [FaultKind: [Duration]]
    package var acknowledged: Int
    package var completed: Int
    package var failed: Int
    package var cancelled: Int
    package var counters: CoordinationCounters
    package var minorityAcksInDetectionWindow: Int
    package var createdTwice: Int
    /// Records that had a majority of their replica set crashed at once (durability not promised).
    package var beyondPromise: Int
    /// Acknowledged records whose replica set the node lost for good left without a majority (their
    /// completion is not checked).
    package var strandedByLoss: Int
    /// Virtual time from the end of the faults until every acknowledged assessment was final.
    package var quiescedAfter: Duration
    /// Submissions refused by an owner at its backlog limit (`CoordinationScenario.backlogLimit`).
    package var busyAnswers: Int
    /// Finished records that a running member of their replica set still stores unfinished, 13 s after
    /// the cluster went quiet.
    package var staleCopies: Int
    package var writeForms: WriteForms
    package var trace: [String]
}

/// How replica writes travelled (see `InvariantChecker.writeForms`).
package struct WriteForms: Sendable {
    package var whole = 0
    package var changes = 0
    package var incomplete = 0

    mutating func add(_ other: WriteForms) {
        whole += other.whole
        changes += other.changes
        incomplete += other.incomplete
    }
}

extension CoordinationSimulator {
    /// Counters of every core that ever ran: the crashed ones and the running ones.
    var totalCounters: CoordinationCounters {
        var total = CoordinationCounters()
        for counters in retiredCounters + nodes.compactMap({ $0.core?.counters }) {
            total.submissionsAccepted += counters.submissionsAccepted
            total.tasksAssigned += counters.tasksAssigned
            total.requeues += counters.requeues
            total.leaseExpiries += counters.leaseExpiries
            total.taskFailures += counters.taskFailures
            total.determinismFaults += counters.determinismFaults
            total.takeovers += counters.takeovers
            total.depositions += counters.depositions
            total.completed += counters.completed
            total.failed += counters.failed
            total.cancelled += counters.cancelled
        }
        return total
    }

    func outcome() -> SeedOutcome {
        faults.close()
        var finals: [AssessmentStatus: Int] = [:]
        for id in checker.acknowledged.keys {
            if let status = newestRecord(id)?.status { finals[status, default: 0] += 1 }
        }
        return SeedOutcome(
            seed: seed, violation: checker.violation, faults: faults.counts, recoveries: faults.recoveries,
            acknowledged: checker.acknowledged.count, completed: finals[.completed] ?? 0,
            failed: finals[.failed] ?? 0, cancelled: finals[.cancelled] ?? 0, counters: totalCounters,
            minorityAcksInDetectionWindow: checker.minorityAcksInDetectionWindow, createdTwice: checker.createdTwice,
            beyondPromise: checker.beyondPromise.count,
            strandedByLoss: checker.acknowledged.keys.count(where: isStrandedByTheLoss),
            quiescedAfter: max(.zero, (quietAt ?? now) - scenario.faultPhase), busyAnswers: clients.busy,
            staleCopies: staleCopiesAtEnd ?? 0, writeForms: checker.writeForms, trace: trace)
    }

    /// Copies a listing filtered by status could show wrongly: a replica that missed the final write.
    func staleCopies() -> [(id: String, node: String)] {
        var stale: [(id: String, node: String)] = []
        for id in checker.acknowledged.keys.sorted() {
            guard let newest = newestRecord(id, runningOnly: true), newest.status.isTerminal else { continue }
            for name in newest.replicaSet {
                guard let node = index[name], nodes[node].core != nil else { continue }
                if nodes[node].store.read(id)?.status.isTerminal == false { stale.append((id, name)) }
            }
        }
        return stale
    }

    /// Runs seeds `first ..< first + count`; stops at the first violation (it replays with its seed).
    package static func run(
        seeds count: Int, first: UInt64, scenario: CoordinationScenario = CoordinationScenario(),
        progress: (SeedOutcome) -> Void = { _ in }
    ) -> CoordinationSimulationReport {
        var report = CoordinationSimulationReport(scenario: scenario)
        for offset in 0..<UInt64(max(0, count)) {
            let outcome = CoordinationSimulator(seed: first + offset, scenario: scenario).run()
            report.add(outcome)
            progress(outcome)
            if outcome.violation != nil { break }
        }
        return report
    }
}

/// Figures over many seeds, as `inframind simulate coordination` prints them.
package struct CoordinationSimulationReport: Sendable {
    package var scenario: CoordinationScenario
    package var seedsRun = 0
    package var failure: SeedOutcome?
    package var faults: [FaultKind: Int] = [:]
    package var recoveries: [FaultKind: [Duration]] = [:]
    package var acknowledged = 0
    package var completed = 0
    package var failed = 0
    package var cancelled = 0
    package var counters = CoordinationCounters()
    package var minorityAcksInDetectionWindow = 0
    package var createdTwice = 0
    package var beyondPromise = 0
    package var strandedByLoss = 0
    package var staleCopies = 0
    package var writeForms = WriteForms()
    package var slowestQuiescence: Duration = .zero
    /// The seed that took longest, to replay it.
    package var slowestQuiescenceSeed: UInt64?

    mutating func add(_ outcome: SeedOutcome) {
        seedsRun += 1
        if outcome.violation != nil, failure == nil { failure = outcome }
        faults.merge(outcome.faults, uniquingKeysWith: +)
        recoveries.merge(outcome.recoveries, uniquingKeysWith: +)
        acknowledged += outcome.acknowledged
        completed += outcome.completed
        failed += outcome.failed
        cancelled += outcome.cancelled
        counters.takeovers += outcome.counters.takeovers
        counters.requeues += outcome.counters.requeues
        counters.leaseExpiries += outcome.counters.leaseExpiries
        counters.depositions += outcome.counters.depositions
        counters.taskFailures += outcome.counters.taskFailures
        counters.tasksAssigned += outcome.counters.tasksAssigned
        minorityAcksInDetectionWindow += outcome.minorityAcksInDetectionWindow
        createdTwice += outcome.createdTwice
        beyondPromise += outcome.beyondPromise
        strandedByLoss += outcome.strandedByLoss
        staleCopies += outcome.staleCopies
        writeForms.add(outcome.writeForms)
        if slowestQuiescenceSeed == nil || outcome.quiescedAfter > slowestQuiescence {
            slowestQuiescence = outcome.quiescedAfter
            slowestQuiescenceSeed = outcome.seed
        }
    }

    package var passed: Bool { failure == nil }

    package func render() -> String {
        func seconds(_ d: Duration) -> String { String(printf: "%.2f s", d / .seconds(1)) }
        let kinds = FaultKind.allCases.map { "\($0.rawValue) \(faults[$0] ?? 0)" }
        let seeds =
            "seeds run: \(seedsRun) (\(scenario.nodes) nodes, \(scenario.submissions) submissions and "
            + "\(seconds(scenario.faultPhase)) of faults each)"
        let outcomes =
            "assessments acknowledged: \(acknowledged); completed \(completed), "
            + "failed by agent errors \(failed), cancelled \(cancelled)"
        let work =
            "tasks assigned: \(counters.tasksAssigned); takeovers \(counters.takeovers), "
            + "depositions \(counters.depositions), requeues \(counters.requeues), "
            + "lease expiries \(counters.leaseExpiries), agent errors \(counters.taskFailures)"
        var lines: [String] = [
            seeds,
            "faults injected: " + kinds.joined(separator: ", "),
            outcomes,
            work,
            "acks by a minority inside the membership detection window: \(minorityAcksInDetectionWindow)",
            "ids created twice (a keyed retry placed under two membership views; same report): \(createdTwice)",
            "records with a majority of their replica set crashed at once (durability not promised): "
                + "\(beyondPromise)",
            "acknowledged records left without a majority by a node lost for good (not checked): "
                + "\(strandedByLoss)",
            "finished records a running replica still holds unfinished 13 s after the end: \(staleCopies)",
            "replica writes: \(writeForms.whole) whole, \(writeForms.changes) as changes; "
                + "\(writeForms.incomplete) answered incomplete and sent again whole",
            "slowest recovery to quiescence after the faults stopped: " + seconds(slowestQuiescence)
                + (slowestQuiescenceSeed.map { " (seed \($0))" } ?? ""),
            "time to recover (fault → its affected tasks running again):",
        ]
        for kind in FaultKind.allCases {
            let samples = (recoveries[kind] ?? []).sorted()
            guard !samples.isEmpty else { continue }
            let p50 = seconds(samples[samples.count / 2])
            let p99 = seconds(samples[min(samples.count - 1, samples.count * 99 / 100)])
            let worst = seconds(samples[samples.count - 1])
            lines.append("  \(kind.rawValue): p50 \(p50), p99 \(p99), max \(worst) over \(samples.count) faults")
        }
        if let failure, let violation = failure.violation {
            lines.append("FAILED: seed \(failure.seed): \(violation)")
            lines.append(
                "reproduce: inframind simulate coordination --first-seed \(failure.seed) --seeds 1 --nodes "
                    + "\(scenario.nodes) --trace")
        } else {
            lines.append("all invariants held")
        }
        return lines.joined(separator: "\n")
    }
}
