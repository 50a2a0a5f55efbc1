import ArgumentParser
import ClusterSystem
import Foundation
import Testing
import X509

@testable import NodeRuntime
@testable import inframind

/// docs/security.md#keys-and-files: what `inframind certs init` writes, and with which modes.
@Suite struct CertsCommandTests {
    static func temporary() -> String { NSTemporaryDirectory() + "inframind-certs-\(UUID().uuidString)" }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    static func certificate(_ path: String) throws -> Certificate {
        try Certificate(pemEncoded: try String(contentsOfFile: path, encoding: .utf8))
    }

    static func run(_ arguments: [String]) throws {
        let command = try CertsCommand.Init.parse(arguments)
        try command.validate()
        try command.run()
    }

    @Test func keysAre0600DirectoriesAre0700AndTheCAKeyIsApart() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/certs"
        // The usual umask, which would leave new files world-readable: the modes must not depend on it.
        let previous = umask(0o022)
        defer { umask(previous) }
        try Self.run(["--out", out, "--nodes", "3"])
        #expect(try Self.mode(out) == 0o700)
        #expect(try Self.mode(out + "-ca") == 0o700)
        for node in ["node-1", "node-2", "node-3"] {
            #expect(try Self.mode(out + "/\(node)-key.pem") == 0o600)
            #expect(try Self.mode(out + "/\(node).pem") == 0o644)
        }
        #expect(try Self.mode(out + "-ca/ca-key.pem") == 0o600)
        #expect(!FileManager.default.fileExists(atPath: out + "/ca-key.pem"))
        // Nothing else was left behind: no temporary file, no key where nodes read.
        let listing = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(
            listing == [
                "ca.pem", "node-1-key.pem", "node-1.pem", "node-2-key.pem", "node-2.pem", "node-3-key.pem",
                "node-3.pem",
            ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "-ca") == ["ca-key.pem"])
    }

    @Test func anExplicitCAOutIsUsedAndMayNotBeTheNodesDirectory() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.run(["--out", root + "/certs", "--ca-out", root + "/offline", "--names", "a.example"])
        #expect(FileManager.default.fileExists(atPath: root + "/offline/ca-key.pem"))
        #expect(throws: (any Error).self) {
            try Self.run(["--out", root + "/x", "--ca-out", root + "/x/", "--nodes", "1"])
        }
    }

    @Test func nodeExpiriesAreStaggered() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.run(["--out", root + "/certs", "--nodes", "4", "--stagger-days", "2"])
        let expiries = try (1...4).map { try Self.certificate(root + "/certs/node-\($0).pem").notValidAfter }
        for index in 1..<4 {
            let gap = expiries[index - 1].timeIntervalSince(expiries[index])
            // Two days apart, give or take the seconds between two issues.
            #expect(abs(gap - 2 * 86_400) < 60, "node-\(index) and node-\(index + 1): \(gap) s")
        }
    }

    @Test func theHTTPCertificateCarriesTheGivenNamesAndAddresses() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/certs"
        try Self.run([
            "--out", out, "--nodes", "1", "--http-name", "api.example.internal", "--http-name", "localhost",
            "--http-ip", "127.0.0.1", "--http-ip", "::1",
        ])
        #expect(try Self.mode(out + "/http-key.pem") == 0o600)
        #expect(try Self.mode(out + "-ca/http-ca-key.pem") == 0o600)
        let http = try Self.certificate(out + "/http.pem")
        let names = try #require(try http.extensions.subjectAlternativeNames)
        var dns: [String] = []
        var ips: [[UInt8]] = []
        for name in names {
            switch name {
            case .dnsName(let value): dns.append(value)
            case .ipAddress(let bytes): ips.append(Array(bytes.bytes))
            default: Issue.record("unexpected SAN \(name)")
            }
        }
        #expect(dns == ["api.example.internal", "localhost"])
        #expect(ips == [[127, 0, 0, 1], Array(repeating: 0, count: 15) + [1]])
        let usages = try #require(try http.extensions.extendedKeyUsage)
        #expect(usages.contains(.serverAuth) && !usages.contains(.clientAuth))
        // Signed by its own CA by default, by the cluster CA on request.
        let httpCA = try Self.certificate(out + "/http-ca.pem")
        #expect(http.issuer == httpCA.subject)
        try Self.run(["--out", root + "/shared", "--nodes", "1", "--http-ip", "10.0.0.5", "--http-ca", "cluster"])
        let shared = try Self.certificate(root + "/shared/http.pem")
        #expect(shared.issuer == (try Self.certificate(root + "/shared/ca.pem")).subject)
        #expect(!FileManager.default.fileExists(atPath: root + "/shared/http-ca.pem"))
    }

    @Test func reusingTheCARenewsNodeCertificatesUnderTheSameCA() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/certs"
        try Self.run(["--out", out, "--nodes", "2"])
        let ca = try String(contentsOfFile: out + "/ca.pem", encoding: .utf8)
        let before = try String(contentsOfFile: out + "/node-1.pem", encoding: .utf8)
        #expect(throws: ValidationError.self) { try Self.run(["--out", out, "--nodes", "2"]) }
        try Self.run(["--out", out, "--nodes", "2", "--reuse-ca"])
        #expect(try String(contentsOfFile: out + "/ca.pem", encoding: .utf8) == ca)
        #expect(try String(contentsOfFile: out + "/node-1.pem", encoding: .utf8) != before)
        #expect(
            try Self.certificate(out + "/node-1.pem").issuer == (try Self.certificate(out + "/ca.pem")).subject)
    }

    @Test func badInputIsRefusedClearly() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: (any Error).self) { try Self.run(["--out", root, "--nodes", "1", "--http-ip", "10.0.0"]) }
        #expect(throws: (any Error).self) { try Self.run(["--out", root, "--nodes", "1", "--http-name", "a b"]) }
        #expect(throws: (any Error).self) { try Self.run(["--out", root, "--nodes", "1", "--stagger-days", "-1"]) }
        #expect(!FileManager.default.fileExists(atPath: root))
    }

    @Test func aNodeNarrowsAnExistingDataDirectoryToItsOwner() throws {
        let root = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(
            atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        _ = FileManager.default.createFile(
            atPath: root + "/assessments.sqlite", contents: Data(), attributes: [.posixPermissions: 0o644])
        Node.restrictToOwner(directory: root)
        #expect(try Self.mode(root) == 0o700)
        #expect(try Self.mode(root + "/assessments.sqlite") == 0o600)
    }
}
