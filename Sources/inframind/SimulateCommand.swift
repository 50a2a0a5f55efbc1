import ArgumentParser
import CoordinationSimulation
import FoundationEssentials
import Simulation

#if canImport(Glibc)
    import Glibc
#endif

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Deterministic simulations of the cluster's protocols on a virtual clock.",
        subcommands: [MembershipSimulation.self, CoordinationSimulationCommand.self]
    )

    struct MembershipSimulation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "membership",
            abstract: "SWIM membership at scale: crash detection, join convergence, traffic, false downs.")

        @Option(help: "Cluster size to simulate; by default 10, 100 and 1000.") var nodes: Int?
        @Option(help: "Seed of the whole run; the same seed prints the same table.") var seed: UInt64 = 1
        @Option(help: "Virtual seconds of each lossy run counted for false downs.") var lossSeconds = 120

        func validate() throws {
            if let nodes, nodes < 3 { throw ValidationError("--nodes must be at least 3") }
            if lossSeconds < 1 { throw ValidationError("--loss-seconds must be positive") }
        }

        func run() {
            let sizes = nodes.map { [$0] } ?? [10, 100, 1000]
            let lossDuration = Duration.seconds(lossSeconds)
            var rows: [ScaleRow] = []
            for size in sizes {
                print("simulating \(size) nodes…")
                rows.append(ScaleReport.measure(nodes: size, seed: seed, lossDuration: lossDuration))
            }
            print(ScaleReport.render(rows, seed: seed, lossDuration: lossDuration))
        }
    }

    struct CoordinationSimulationCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "coordination",
            abstract: "The coordination layer under crashes, pauses and partitions: invariants checked on every seed.")

        @Option(help: "How many seeds to run.") var seeds = 100
        @Option(help: "The first seed; a failing seed replays with --first-seed S --seeds 1.") var firstSeed: UInt64 = 1
        @Option(help: "Cluster size.") var nodes = 5
        @Option(help: "Virtual seconds of faults and submissions per seed.") var duration = 60
        @Option(help: "Submissions per seed.") var submissions = 30
        @Flag(help: "Print the event trace of the first failing seed, or of the one seed run with --seeds 1.")
        var trace = false

        func validate() throws {
            if nodes < 3 { throw ValidationError("--nodes must be at least 3") }
            if seeds < 1 || duration < 1 || submissions < 1 {
                throw ValidationError("--seeds, --duration and --submissions must be positive")
            }
        }

        func run() throws {
            try DeterministicHashing.ensure()
            var scenario = CoordinationScenario()
            scenario.nodes = nodes
            scenario.faultPhase = .seconds(duration)
            scenario.submissions = submissions
            let report = CoordinationSimulator.run(seeds: seeds, first: firstSeed, scenario: scenario) { outcome in
                if outcome.seed % 100 == 0 { print("… seed \(outcome.seed)") }
            }
            // A seed that passes slowly (a long recovery) is worth reading too: with --seeds 1 it is traced.
            if trace, let traced = report.failure?.seed ?? (seeds == 1 ? firstSeed : nil) {
                let replay = CoordinationSimulator(seed: traced, scenario: scenario)
                replay.keepsTrace = true
                for line in replay.run().trace { print(line) }
            }
            print(report.render())
            if !report.passed { throw ExitCode.failure }
        }
    }
}

/// Swift seeds Set and Dictionary hashing per process, so their iteration order — and with it the
/// order of a simulation's events — would differ between the run that found a failure and the run
/// that replays it. The runtime reads `SWIFT_DETERMINISTIC_HASHING` only at start-up, so a run
/// without it starts itself again with it set.
enum DeterministicHashing {
    static func ensure() throws {
        guard ProcessInfo.processInfo.environment["SWIFT_DETERMINISTIC_HASHING"] == nil else { return }
        setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1)
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv("/proc/self/exe", arguments)
        // Only reached when exec failed; the run would not replay exactly, so say so and stop.
        throw ValidationError("could not restart with SWIFT_DETERMINISTIC_HASHING=1: errno \(errno)")
    }
}
