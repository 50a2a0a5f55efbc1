import ArgumentParser
import TransportBenchmark

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks; each reports ratios against a baseline measured in the same run.",
        subcommands: [Transport.self, PipelineBenchCommand.self]
    )

    struct Transport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Raw mutual-TLS ping-pong against distributed-actor calls on loopback, in one process.")

        @Option(help: "Runs per figure; the median run is reported.") var runs = 5
        @Option(help: "Calls per sequential run.") var sequential = 20_000
        @Option(help: "Calls per concurrent run.") var concurrent = 64_000
        @Option(help: "Concurrent callers.") var concurrency = 64
        @Option(help: "Calls per ~4 KB payload run.") var payloadCalls = 5_000

        func run() async throws {
            var options = TransportBench.Options()
            options.runs = runs
            options.sequentialCalls = sequential
            options.concurrentCalls = concurrent
            options.concurrency = concurrency
            options.payloadCalls = payloadCalls
            print("InfraMind transport benchmark: one process, loopback, mutual TLS 1.3, median of \(runs) runs")
            let figures = try await TransportBench(options: options).run { print($0) }
            print("")
            print(TransportBench.summary(figures))
        }
    }
}
