import ArgumentParser
import NodeRuntime

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a cluster node until SIGTERM or SIGINT (then it drains and leaves)."
    )

    /// Every setting, from `--config FILE` and/or flags (flags win); `inframind node --help` lists them.
    @OptionGroup var options: NodeOptions

    func validate() throws {
        _ = try options.resolve()
    }

    func run() async throws {
        try await Node.run(options.resolve())
    }
}
