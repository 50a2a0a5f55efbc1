import ArgumentParser

@main
struct InfraMind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inframind",
        abstract: "AI-infrastructure assessments on a broker-less Swift cluster.",
        subcommands: [
            NodeCommand.self,
            CertsCommand.self,
            BenchCommand.self,
            SimulateCommand.self,
            AssessCommand.self,
            SubmitCommand.self,
            StatusCommand.self,
            ReportCommand.self,
            ClusterCommand.self,
            ArchiveCommand.self,
            TokenCommand.self,
                // Further subcommands register here, one line each.
        ]
    )
}
