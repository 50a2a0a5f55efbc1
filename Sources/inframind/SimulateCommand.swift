import ArgumentParser
import Simulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Deterministic simulations of the cluster's protocols on a virtual clock.",
        subcommands: [MembershipSimulation.self]
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
}
