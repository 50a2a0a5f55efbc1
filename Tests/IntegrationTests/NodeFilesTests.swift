import AsyncHTTPClient
import ClusterSystem
import Foundation
import NIOCore
import Testing

/// docs/security.md#keys-and-files, on a real `inframind node` process: what it creates is its own
/// alone, and `/metrics` says how long its transport certificate has left.
@Suite("Multi-process: a node's files and certificate expiry")
struct NodeFilesTests {
    @Test func theDataDirectoryAndStoreAreTheNodesAloneAndTheExpiryIsExported() async throws {
        let directory = NSTemporaryDirectory() + "inframind-files-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certs = directory + "/certs"
        try CertificateAuthority.writeClusterPKI(to: URL(fileURLWithPath: certs), nodeNames: ["node-1"])
        let processes = ProcessGroup()
        defer { processes.stopAll() }
        let port = try freePort()
        let data = directory + "/data/node-1"
        let node = try processes.start {
            try NodeProcess(
                name: "node-1", port: port, certs: certs, logDirectory: directory,
                seeds: ["node-1@127.0.0.1:\(port)"], arguments: ["--data-dir", data])
        }
        try #require(await node.waitUntilReady(), "never ready:\n\(node.log.suffix(4000))")

        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode(data) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: data)
        #expect(files.contains { $0.hasSuffix(".sqlite") }, "\(files)")
        for file in files {
            let fileMode = try mode(data + "/" + file)
            #expect(fileMode & 0o077 == 0, "\(file) is \(String(fileMode, radix: 8))")
        }

        // The ready line names the HTTP port the node picked.
        let ready = try #require(node.log.split(separator: "\n").first { $0.contains(" ready: ") })
        let http = try #require(ready.split(separator: " ").last).split(separator: ":").last.map(String.init) ?? ""
        let response = try await HTTPClient.shared.get(url: "http://127.0.0.1:\(http)/metrics").get()
        let body = response.body.map { String(buffer: $0) } ?? ""
        let line = try #require(
            body.split(separator: "\n").first { $0.hasPrefix("inframind_transport_certificate_expiry_seconds ") },
            "no expiry gauge in /metrics")
        let seconds = try #require(Double(line.split(separator: " ")[1]))
        // Issued just now for 825 days (the first node is not staggered). A certificate's times are
        // whole seconds, so its end may lie up to a second past issue time + 825 days (seen:
        // 825 days and 0.05 s left, read at once).
        #expect(seconds > 824 * 86_400 && seconds <= 825 * 86_400 + 1, "\(seconds)")
    }
}
