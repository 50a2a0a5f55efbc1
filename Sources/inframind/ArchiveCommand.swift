import ArgumentParser
import FoundationEssentials
import HTTPAPI
import NodeRuntime

/// `inframind archive list|status`: the archive of finished assessments (docs/archive.md).
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Query the MongoDB archive of finished assessments.",
        subcommands: [ArchiveListCommand.self, ArchiveStatusCommand.self])
}

/// `inframind archive list [--industry …] [--provider …] [--status …] [--from …] [--to …]`
struct ArchiveListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List archived assessments, newest first.")

    @Option(help: "Only this industry (request.business.industry).") var industry: String?
    @Option(help: "Only this recommended provider (report.summary.recommended_provider).") var provider: String?
    @Option(help: "Only these final states: completed, failed, cancelled (comma-separated).") var status: String?
    @Option(help: "Created at or after this date or ISO 8601 time (UTC).") var from: String?
    @Option(help: "Created before this date or ISO 8601 time (UTC).") var to: String?
    @Option(help: "Items per page (1…200).") var limit: Int = 50
    @Option(help: "The `next` cursor of the previous page.") var cursor: String?
    @Flag(help: "Follow `next` until the last page.") var all = false
    @Flag(help: "Print the JSON the node answered (one page).") var json = false
    @OptionGroup var options: ClientOptions

    /// The query string, each value percent-encoded.
    func path(cursor: String?) -> String {
        var items: [(String, String)] = []
        if let industry { items.append(("industry", industry)) }
        if let provider { items.append(("provider", provider)) }
        if let status { items.append(("status", status)) }
        if let from { items.append(("from", from)) }
        if let to { items.append(("to", to)) }
        items.append(("limit", String(limit)))
        if let cursor { items.append(("cursor", cursor)) }
        return "/v1/archive?" + items.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
    }

    static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~:".contains(c)) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    func run() async throws {
        try await reportingClientErrors {
            let client = try options.client()
            var next = cursor
            var first = true
            repeat {
                let reply = try await client.expectSuccess(.GET, path(cursor: next))
                if json {
                    try StandardStreams.writeOutput(reply.body)
                    print()
                    return
                }
                let page = try client.decode(ArchiveListBody.self, from: reply)
                if first {
                    print(["ID", "STATUS", "CREATED", "INDUSTRY", "PROVIDER"].joined(separator: "\t"))
                    first = false
                }
                for item in page.items {
                    print(
                        [item.id, item.status, item.createdAt, item.industry ?? "-", item.recommendedProvider ?? "-"]
                            .joined(separator: "\t"))
                }
                next = page.next
                if !all, let next { print("next page: --cursor \(next)") }
            } while all && next != nil
        }
    }
}

/// `inframind archive status`
struct ArchiveStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the node's archive writer: pending, written, failed, lag (an admin's token).")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await reportingClientErrors {
            let client = try options.client()
            try StandardStreams.writeOutput(try await client.expectSuccess(.GET, "/v1/archive/status").body)
            print()
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
