import Foundation
import HTTPAPI
import Testing

@testable import inframind

@Suite struct ClientOutputTests {
    @Test func eventsSplitAcrossChunksAnywhere() {
        let stream = ": heartbeat\n\nevent: progress\ndata: {\"a\":\"é\"}\n\nevent: error\r\ndata: x\r\ndata: y\r\n\r\n"
        // Every way of cutting the stream in two gives the same events.
        let bytes = Array(stream.utf8)
        for cut in 0...bytes.count {
            var parser = ServerSentEvents()
            let events = parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            #expect(
                events == [.init(name: "progress", data: "{\"a\":\"é\"}"), .init(name: "error", data: "x\ny")],
                "cut at \(cut)")
        }
    }

    static func snapshot(_ status: String, percent: Int, agents: [AssessmentBody.Agent]) -> AssessmentBody {
        var body = AssessmentBody(
            AssessmentSnapshot(
                id: "a-1", state: .queued, percent: 0, step: nil, agents: [], failure: nil, createdAt: .now,
                updatedAt: .now, version: 1, epoch: 1))
        body.status = status
        body.progress = .init(percent: percent, step: nil, agents: agents)
        return body
    }

    @Test func plainOutputPrintsOnlyChanges() {
        var display = ProgressDisplay(interactive: false)
        let waiting = AssessmentBody.Agent(name: "cto", state: "waiting", attempts: 0, node: nil)
        let done = AssessmentBody.Agent(name: "cto", state: "succeeded", attempts: 1, node: "node-2")
        #expect(display.render(Self.snapshot("queued", percent: 0, agents: [waiting])) == "a-1 queued 0%\n")
        #expect(
            display.render(Self.snapshot("running", percent: 50, agents: [done]))
                == "a-1 running 50%\n  ✓ cto succeeded on node-2\n")
        #expect(display.render(Self.snapshot("running", percent: 50, agents: [done])) == "")
    }

    @Test func terminalOutputRedrawsTheBlockInPlace() {
        var display = ProgressDisplay(interactive: true)
        let agent = AssessmentBody.Agent(name: "cto", state: "running", attempts: 2, node: "node-3")
        let first = display.render(Self.snapshot("running", percent: 10, agents: [agent]))
        #expect(!first.contains("\u{1B}["))
        #expect(first.contains("▸ cto running (attempt 2) on node-3"))
        let second = display.render(Self.snapshot("running", percent: 20, agents: [agent]))
        #expect(second.hasPrefix("\u{1B}[2A\u{1B}[J"))
    }

    @Test func clusterTableAlignsColumnsAndMarksSelf() {
        let view = ClusterBody(
            ClusterSnapshot(
                selfID: "node-1",
                members: [
                    MemberSnapshot(
                        id: "node-1", clusterAddress: "127.0.0.1:7101", httpAddress: "127.0.0.1:8101", status: "up",
                        incarnation: 2),
                    MemberSnapshot(
                        id: "node-22", clusterAddress: "127.0.0.1:7122", httpAddress: nil, status: "suspect",
                        incarnation: 10),
                ]))
        let lines = ClusterCommand.table(view).split(separator: "\n")
        #expect(lines[0] == "ID        STATUS   INCARNATION  CLUSTER         HTTP")
        #expect(lines[1] == "node-1 *  up       2            127.0.0.1:7101  127.0.0.1:8101")
        #expect(lines[2] == "node-22   suspect  10           127.0.0.1:7122  -")
    }

    @Test func summaryIsTitleAndFirstSection() {
        let markdown = "# Title\n\n_meta_\n\n## Executive Summary\n\nGood.\n\n## Cost\n\nMuch.\n"
        #expect(SubmitCommand.summary(of: markdown) == "# Title\n\n_meta_\n\n## Executive Summary\n\nGood.")
    }

    static let report = Data("# Title\n\n## Executive Summary\n\nGood.\n\n## Cost\n\nMuch.\n".utf8)

    @Test func waitWritesNoFileUnlessAsked() throws {
        let before = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
        let text = try SubmitCommand.finish(markdown: Self.report, id: "a-1", node: "http://n:1", output: nil)
        let after = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
        #expect(Set(after) == Set(before))
        #expect(text.contains("## Executive Summary\n\nGood."))
        #expect(!text.contains("## Cost"))
        #expect(text.contains("inframind report a-1 --format markdown --node http://n:1"))
    }

    @Test func waitWithOutputSavesTheWholeReport() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("report.md").path
        let text = try SubmitCommand.finish(markdown: Self.report, id: "a-1", node: "http://n:1", output: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Self.report)
        #expect(text.contains("full report: \(path)"))
        #expect(text.components(separatedBy: "## Executive Summary").count == 2)
    }

    @Test func anOutputIsCheckedBeforeAnythingIsSubmitted() throws {
        #expect(throws: (any Error).self) { try SubmitCommand.parse(["r.json", "--output", "r.md"]) }
        let missing = "/nonexistent-\(UUID().uuidString)/r.md"
        #expect(throws: (any Error).self) { try SubmitCommand.parse(["r.json", "--wait", "--output", missing]) }
        let command = try SubmitCommand.parse(["r.json", "--wait", "--output", NSTemporaryDirectory() + "/r.md"])
        #expect(command.output != nil)
        #expect(try SubmitCommand.parse(["r.json", "--wait"]).output == nil)
    }

    @Test func anOutputThatCannotBeWrittenSaysWhereTheReportIs() {
        let path = "/nonexistent-\(UUID().uuidString)/report.md"
        #expect {
            _ = try SubmitCommand.finish(markdown: Self.report, id: "a-1", node: "http://n:1", output: path)
        } throws: { error in
            "\(error)".contains("cannot write the report to \(path)") && "\(error)".contains("inframind report a-1")
        }
    }
}
