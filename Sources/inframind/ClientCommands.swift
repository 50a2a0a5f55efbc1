import ArgumentParser
import FoundationEssentials
import HTTPAPI
import NodeRuntime
import Printf

/// Options every API client command shares.
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of any node's HTTP API (https://… for a node with http_tls_cert).")
    var node = "http://127.0.0.1:8101"

    @Option(help: "Bearer token, when the node requires one (default: $INFRAMIND_TOKEN).")
    var token: String?

    @Option(
        help:
            "A PEM CA certificate to trust for an https --node besides the system's, e.g. http-ca.pem from `certs init --http-name` (default: $INFRAMIND_CACERT)."
    )
    var cacert: String?

    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        return try APIClient(
            node: node, token: token ?? environment["INFRAMIND_TOKEN"],
            caCertificate: cacert ?? environment["INFRAMIND_CACERT"])
    }
}

/// Runs a client command body, printing a `ClientError` as one message and exiting 1 instead of a trace.
func reportingClientErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ClientError {
        StandardStreams.writeError("inframind: \(error)\n")
        throw ExitCode(1)
    }
}

/// `inframind status ID`
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show an assessment's status and each agent's progress.")

    @Argument(help: "The assessment id.") var id: String
    @OptionGroup var options: ClientOptions
    @Flag(help: "Print the JSON the node answered.") var json = false

    func run() async throws {
        try await reportingClientErrors {
            let client = try options.client()
            let reply = try await client.expectSuccess(.GET, "/v1/assessments/\(id)")
            if json {
                try StandardStreams.writeOutput(reply.body)
                print()
                return
            }
            let snapshot = try client.decode(AssessmentBody.self, from: reply)
            print(ProgressDisplay.headline(snapshot))
            let width = snapshot.progress.agents.map(\.name.count).max() ?? 0
            for agent in snapshot.progress.agents {
                print("  " + ProgressDisplay.agentLine(agent, nameWidth: width))
            }
            print("  created \(snapshot.createdAt), updated \(snapshot.updatedAt)")
        }
    }
}

/// `inframind report ID`
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Print a completed assessment's report.")

    @Argument(help: "The assessment id.") var id: String
    @Option(help: "json, markdown or html.") var format = "markdown"
    @Option(help: "Write the report to this file instead of standard output.") var output: String?
    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard ["json", "markdown", "html"].contains(format) else {
            throw ValidationError("--format must be json, markdown or html")
        }
    }

    func run() async throws {
        try await reportingClientErrors {
            let client = try options.client()
            let reply = try await client.expectSuccess(.GET, "/v1/assessments/\(id)/report?format=\(format)")
            if let output {
                try reply.body.write(to: URL(fileURLWithPath: output))
                print("report written to \(output)")
            } else {
                try StandardStreams.writeOutput(reply.body)
            }
        }
    }
}

/// `inframind cluster`
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Show the cluster's members as one node sees them.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await reportingClientErrors {
            let client = try options.client()
            let view = try client.decode(ClusterBody.self, from: try await client.expectSuccess(.GET, "/v1/cluster"))
            print(Self.table(view))
        }
    }

    static func table(_ view: ClusterBody) -> String {
        let header = ["ID", "STATUS", "INCARNATION", "CLUSTER", "HTTP"]
        let rows = view.members.map { member in
            [
                member.id + (member.id == view.`self` ? " *" : ""), member.status, String(member.incarnation),
                member.clusterAddress, member.httpAddress ?? "-",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        let lines = ([header] + rows).map { row in
            row.enumerated().map { index, cell in cell.padded(to: widths[index]) }
                .joined(separator: "  ").trimmingWhitespace()
        }
        return (lines + ["(* = the node that answered, \(view.members.count) member(s))"]).joined(separator: "\n")
    }
}
