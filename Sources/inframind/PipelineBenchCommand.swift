import ArgumentParser
import Assessment
import FoundationEssentials
import Printf

#if canImport(Glibc)
    import Glibc
#endif

/// Assessments per second of the in-process pipeline over the shipped examples.
/// The baseline, measured in the same run, is the same pipeline run sequentially on
/// one task; the figures that matter are the ratios against it.
struct PipelineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract:
            "In-process assessment pipeline throughput over the examples, as ratios against a sequential baseline.")

    @Option(help: "Directory of request JSON files.") var examples = "examples"
    @Option(help: "Passes over all examples per run.") var passes = 10
    @Option(help: "Runs per figure; the median run is reported.") var runs = 5
    @Flag(inversion: .prefixedNo, help: "Render each report to JSON (what a node stores and serves).")
    var render = true
    @Option(help: "Assessments in flight at once for the concurrent figure (default: active processor count).")
    var concurrency: Int?

    struct Figure {
        let name: String
        let assessments: Int
        let seconds: Double
        var perSecond: Double { Double(assessments) / seconds }
    }

    func run() async throws {
        let catalog = try Catalog.shipped()
        let directory = URL(fileURLWithPath: examples)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
            .sorted()
        guard !names.isEmpty else { throw ValidationError("no .json requests in \(examples)") }
        let requests = try names.map {
            try RequestValidator.validate(Data(contentsOf: directory.appendingPathComponent($0)))
        }
        let width = max(1, concurrency ?? ProcessInfo.processInfo.activeProcessorCount)
        let total = requests.count * passes
        print(
            "InfraMind pipeline benchmark: \(requests.count) examples × \(passes) passes = \(total) assessments per run, median of \(runs) runs, JSON rendering \(render ? "included" : "excluded")"
        )

        let sequential = try await median("sequential (baseline)", total) {
            for _ in 0..<passes {
                for (i, r) in requests.enumerated() {
                    let report = AssessmentEngine.assessSequentially(r, catalog: catalog, assessmentID: "bench-\(i)")
                    if render { _ = try ReportRenderer.json(report) }
                }
            }
        }
        let parallelAgents = try await median("ten agents in parallel, one assessment at a time", total) {
            for _ in 0..<passes {
                for (i, r) in requests.enumerated() {
                    let report = try await AssessmentEngine.assess(r, catalog: catalog, assessmentID: "bench-\(i)")
                    if render { _ = try ReportRenderer.json(report) }
                }
            }
        }
        let concurrent = try await median("\(width) assessments in flight", total) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                func submit(_ group: inout ThrowingTaskGroup<Void, any Error>, _ n: Int) {
                    let r = requests[n % requests.count]
                    group.addTask {
                        let report = try await AssessmentEngine.assess(r, catalog: catalog, assessmentID: "bench-\(n)")
                        if render { _ = try ReportRenderer.json(report) }
                    }
                }
                while next < min(width, total) {
                    submit(&group, next)
                    next += 1
                }
                while try await group.next() != nil {
                    if next < total {
                        submit(&group, next)
                        next += 1
                    }
                }
            }
        }
        print("")
        // CPU time, not wall time: what one assessment costs the node whatever else the machine does.
        print(
            "CPU per assessment, sequential, plan memo defeated, rendering \(render ? "included" : "excluded") (median of \(runs) runs):"
        )
        for (name, r) in zip(names, requests) {
            var samples: [Double] = []
            for _ in 0..<max(1, runs) {
                // A new title each time: the plan memo must not hide the planning a node does once
                // per assessment.
                let fresh = (0..<passes).map { i in
                    var copy = r
                    copy.title += " #\(i)"
                    return copy
                }
                let start = Self.processCPUSeconds()
                for f in fresh {
                    let report = AssessmentEngine.assessSequentially(f, catalog: catalog, assessmentID: "bench-cpu")
                    if render { _ = try ReportRenderer.json(report) }
                }
                samples.append((Self.processCPUSeconds() - start) / Double(passes))
            }
            let median = samples.sorted()[samples.count / 2]
            print("  \(String(name.dropLast(5)).padded(to: 48)) \(String(printf: "%.2f", median * 1000)) ms")
        }
        print("")
        for f in [sequential, parallelAgents, concurrent] {
            let ratio = f.perSecond / sequential.perSecond
            print(
                "\(f.name.padded(to: 50)) \(format(f.perSecond)) assessments/s  ×\(format(ratio)) vs baseline"
            )
        }
    }

    func median(_ name: String, _ count: Int, _ body: () async throws -> Void) async throws -> Figure {
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for _ in 0..<max(1, runs) {
            let elapsed = try await clock.measure { try await body() }
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let figure = Figure(name: name, assessments: count, seconds: seconds.sorted()[seconds.count / 2])
        print("  \(name): \(format(figure.perSecond)) assessments/s (median of \(seconds.count))")
        return figure
    }

    func format(_ x: Double) -> String { String(printf: "%.2f", x) }

    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
