import ArgumentParser
import FoundationEssentials
import HTTPAPI
import NodeRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// `inframind submit FILE [--wait]`
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit an assessment request to a node; with --wait, follow it and fetch the report.")

    @Argument(help: "The request JSON file, or - for standard input.") var file: String
    @OptionGroup var options: ClientOptions
    @Option(help: "Send this Idempotency-Key: submitting again with the same key gives the same id.")
    var idempotencyKey: String?
    @Flag(help: "Follow progress until the assessment ends, then print the report's summary.")
    var wait = false
    @Option(help: "With --wait: also save the whole Markdown report to this file (nothing is written without it).")
    var output: String?

    /// A report that could not be saved would be found missing only once the assessment is done.
    func validate() throws {
        guard let output else { return }
        guard wait else { throw ValidationError("--output saves the report --wait fetches: give --wait too") }
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw ValidationError("cannot write --output \(output): \(directory) is not a writable directory")
        }
    }

    func run() async throws {
        let request: Data
        do {
            request = try StandardStreams.read(file)
        } catch {
            throw ValidationError("cannot read \(file): \(error)")
        }
        try await reportingClientErrors {
            let client = try options.client()
            let headers = idempotencyKey.map { [("Idempotency-Key", $0)] } ?? []
            let reply = try await client.expectSuccess(.POST, "/v1/assessments", body: request, headers: headers)
            let receipt = try client.decode(SubmittedBody.self, from: reply)
            guard wait else {
                print(receipt.id)
                return
            }
            print("submitted \(receipt.id) to \(client.node)")
            let final = try await follow(receipt.id, client: client)
            guard final.status == "completed" else {
                StandardStreams.writeError(
                    "inframind: assessment \(final.id) \(final.status)\(final.error.map { ": \($0)" } ?? "")\n")
                throw ExitCode(1)
            }
            let markdown = try await client.expectSuccess(.GET, "/v1/assessments/\(final.id)/report?format=markdown")
            print(try Self.finish(markdown: markdown.body, id: final.id, node: client.node, output: output))
        }
    }

    /// What `--wait` prints once the report is ready; saves the report to `output` only when one is given,
    /// so that a first run leaves no file behind in the checkout.
    static func finish(markdown: Data, id: String, node: String, output: String?) throws -> String {
        var text = "\n" + summary(of: String(decoding: markdown, as: UTF8.self)) + "\n\n"
        if let output {
            do {
                try markdown.write(to: URL(fileURLWithPath: output))
            } catch {
                throw ClientError.usage(
                    "cannot write the report to \(output): \(error) "
                        + "(assessment \(id) completed; fetch it with inframind report \(id))")
            }
            text += "full report: \(output)  (also: inframind report \(id) --format html --node \(node))"
        } else {
            text += "full report: inframind report \(id) --format markdown --node \(node)  (or --output FILE)"
        }
        return text
    }

    /// Draws progress from the event stream; returns the final snapshot.
    private func follow(_ id: String, client: APIClient) async throws -> AssessmentBody {
        var display = ProgressDisplay(interactive: isatty(STDOUT_FILENO) == 1)
        var last: AssessmentBody?
        for try await snapshot in client.events(id: id) {
            try StandardStreams.writeOutput(Data(display.render(snapshot).utf8))
            last = snapshot
        }
        guard let last, AssessmentState(rawValue: last.status)?.isFinal == true else {
            throw ClientError.protocolError("the event stream of \(id) ended before the assessment did")
        }
        return last
    }

    /// The report's title and its first section (the executive summary).
    static func summary(of markdown: String) -> String {
        var lines: [Substring] = []
        var sections = 0
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                sections += 1
                if sections > 1 { break }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n").trimmingWhitespace()
    }
}
