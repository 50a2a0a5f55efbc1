import ArgumentParser
import Assessment
import FoundationEssentials
import NodeRuntime

/// `inframind assess FILE`: the whole assessment pipeline in this process, no cluster.
struct AssessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assess",
        abstract: "Validate a request and run the eleven agents locally; print the report (Markdown by default).")

    @Argument(help: "The request JSON file, or - for standard input.") var file: String

    @Option(help: "markdown, json or html.") var format: String = "markdown"

    @Option(help: "Write the report here instead of standard output.") var output: String?

    @Option(help: "Assessment id to put in the report (default: derived from the request content).")
    var id: String?

    func run() async throws {
        guard let format = ReportRenderer.Format(rawValue: format) else {
            throw ValidationError("--format must be one of: markdown, json, html")
        }
        let data: Data
        do {
            data = try StandardStreams.read(file)
        } catch {
            throw ValidationError("cannot read \(file): \(error)")
        }
        let report: Data
        do {
            report = try await LocalAssessment.run(requestJSON: data, format: format, assessmentID: id)
        } catch let failure as ValidationFailure {
            var message = "The request has \(failure.errors.count) problem(s):\n"
            for e in failure.errors { message += "  \(e.field): \(e.problem)\n" }
            StandardStreams.writeError(message)
            throw ExitCode(2)
        }
        if let output {
            try report.write(to: URL(fileURLWithPath: output))
        } else {
            try StandardStreams.writeOutput(report)
        }
    }
}
