import Assessment
import ClusterSystem
import Coordination
import CoordinationShell
import CoreMetrics
import FoundationEssentials
import NIOCore
import NIOPosix

/// The coordinator's worker runs the real agents through this: decode the request (validated at
/// submission, so a failure here is a bug worth an error), compute, and return the result's binary
/// form — equal inputs give equal bytes on every node, which is what makes requeues and digests safe.
struct AgentExecutor: TaskRunner {
    let catalog: Catalog
    let options: AgentRunOptions
    /// Agents run on threads of their own, one per concurrent task: CPU-bound agents on Swift's
    /// cooperative pool (one thread per core) would starve membership probes and HTTP handlers
    /// there, and a node busy computing would be declared dead.
    let threads: MultiThreadedEventLoopGroup

    init(catalog: Catalog, options: AgentRunOptions, threads: Int) {
        self.catalog = catalog
        self.options = options
        self.threads = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        // Agents are background work: at a lower priority than the threads that answer HTTP, replicate
        // and probe, so a burst of assessments slows assessments, not submissions and heartbeats.
        for loop in self.threads.makeIterator() {
            loop.execute { Self.lowerThisThreadsPriority() }
        }
    }

    private static func lowerThisThreadsPriority() {
        #if os(Linux)
            // On Linux, nice is per thread: PRIO_PROCESS with a thread id changes only that thread.
            // Glibc's gettid is not imported into Swift; /proc/thread-self names the thread.
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
                let tid = link.split(separator: "/").last.flatMap({ id_t($0) })
            else { return }
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, 10)
        #endif
    }

    struct UnknownAgent: Error, CustomStringConvertible {
        let name: String
        var description: String { "no agent is called \(name)" }
    }

    static var settings: (analysts: [String], finalAgent: String) {
        (AgentName.analysts.map(\.rawValue), AgentName.reportGenerator.rawValue)
    }

    func run(_ assignment: TaskAssignment) async throws -> Data {
        // Read back by GET /v1/cluster/stats (agents_running).
        Self.running.increment()
        defer { Self.running.decrement() }
        return try await withTaskExecutorPreference(EventLoopTaskExecutor(threads.next())) {
            try await compute(assignment)
        }
    }

    private func compute(_ assignment: TaskAssignment) async throws -> Data {
        guard let agent = AgentName(rawValue: assignment.key.agent) else {
            throw UnknownAgent(name: assignment.key.agent)
        }
        // Validated where it arrived over HTTP; here it is only decoded (docs/performance.md).
        let request = try AssessmentRequest(storedForm: assignment.request)
        // The load-test slowdown first, outside the measured computation (it may sleep, and other
        // agents would run on this thread meanwhile).
        try await options.applySlowdown()
        if agent != .reportGenerator {
            let result = Self.measured { AssessmentEngine.compute(agent, request: request, catalog: catalog) }
            return try result.binaryForm()
        }
        // The report generator's output is the finished report itself, so the owner stores what it
        // gets without knowing the domain: the typed report's binary form in gzip (StoredReport),
        // its JSON rendered only where it is read.
        let results = try assignment.inputs
            .map { try AgentResult(storedForm: $0.payload) }
            .sorted { $0.agent < $1.agent }
        let report = Self.measured { () -> AssessmentReport? in
            let generator = AssessmentEngine.compute(
                .reportGenerator, request: request, catalog: catalog, results: results)
            return AssessmentReport.assemble(
                assessmentID: assignment.key.assessmentID, catalog: catalog, results: results, generator: generator)
        }
        guard let report else { throw UnknownAgent(name: "report_generator (its result has no report)") }
        return try StoredReport.pack(report)
    }
}

extension AgentExecutor {
    /// CPU time of the agents' own computation, by the thread's CPU clock: what is left of a node's
    /// CPU is orchestration (transport, replication, storage, encoding, HTTP), which is what
    /// `scripts/bench` reports against the old stack's empty tasks.
    static let running = Meter(label: "inframind_agents_running")

    private static let computeSeconds = FloatingPointCounter(label: "inframind_agent_compute_seconds_total")

    static func measured<T>(_ body: () -> T) -> T {
        let start = threadCPUNanoseconds()
        defer {
            let spent = threadCPUNanoseconds() - start
            computeSeconds.increment(by: Double(spent) / 1e9)
        }
        return body()
    }

    static func threadCPUNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
