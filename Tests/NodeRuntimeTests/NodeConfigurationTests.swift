import ArgumentParser
import Assessment
import Foundation
import HTTPAPI
import Testing

@testable import NodeRuntime

@Suite struct NodeConfigurationTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var exampleConfigs: [String] {
        let root = repoRoot.appendingPathComponent("cluster-config")
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".toml") }.sorted()
    }

    @Test func everyExampleConfigLoads() throws {
        #expect(Self.exampleConfigs.count == 9)
        for file in Self.exampleConfigs {
            let path = Self.repoRoot.appendingPathComponent("cluster-config/\(file)").path
            let layer = try NodeConfiguration.Layer.load(path: path)
            // The tokens file of the separate-hosts example does not exist here; read a stand-in instead.
            let config = try NodeConfiguration(layer, readFile: { _ in Self.tokensLine + "\n" })
            #expect(!config.name.isEmpty, "\(file)")
            #expect(!config.seeds.isEmpty, "\(file)")
        }
    }

    @Test func localExamplesFollowThePortAndDataLayout() throws {
        for count in [3, 5] {
            for i in 1...count {
                let path = Self.repoRoot.appendingPathComponent("cluster-config/local-\(count)/node-\(i).toml").path
                let config = try NodeConfiguration(try NodeConfiguration.Layer.load(path: path))
                #expect(config.name == "node-\(i)")
                #expect(config.clusterPort == 7100 + i)
                #expect(config.httpPort == 8100 + i)
                #expect(config.dataDirectory == ".cluster/node-\(i)/data")
                #expect(config.seeds == ["node-1@127.0.0.1:7101"])
            }
        }
    }

    @Test func flagsOverrideTheFileWhichOverridesDefaults() throws {
        let file = try NodeConfiguration.Layer.parse(
            toml: """
                # a comment
                name = "from-file"
                cluster_port = 7001
                certs_dir = "certs"
                http_port = 9000
                seeds = ["a@127.0.0.1:7001"]
                log_level = "debug"
                """, source: "test.toml")
        let options = try NodeOptions.parse([
            "--http-port", "9100", "--seed", "b@127.0.0.1:7002", "--max-attempts", "5",
        ])
        let config = try NodeConfiguration(file.overridden(by: options.layer))
        #expect(config.name == "from-file")
        #expect(config.httpPort == 9100)
        #expect(config.seeds == ["b@127.0.0.1:7002"])
        #expect(config.logLevel == .debug)
        #expect(config.maxAttempts == 5)
        // Defaults for what neither says.
        #expect(config.host == "127.0.0.1")
        #expect(config.httpHost == "127.0.0.1")
        #expect(config.bodyLimit == 256 << 10)
        #expect(config.replicationFactor == 3)
        #expect(config.dataDirectory == "data/from-file")
        #expect(config.agentRunOptions == .standard)
        #expect(config.httpSettings.port == 9100)
    }

    @Test func flagsAloneAreEnough() throws {
        let options = try NodeOptions.parse([
            "--name", "n1", "--port", "7001", "--certs", "c", "--agent-sleep-ms", "20",
        ])
        let config = try options.resolve()
        #expect(config.clusterPort == 7001)
        #expect(config.certsDirectory == "c")
        #expect(config.agentRunOptions == AgentRunOptions(loadTestSlowdown: .sleep(milliseconds: 20)))
    }

    @Test func unknownKeysAreRejected() {
        #expect(throws: ValidationError.self) {
            try NodeConfiguration.Layer.parse(toml: "name = \"x\"\nhttp_prot = 1\n", source: "t.toml")
        }
    }

    @Test func wrongTypesAndSyntaxAreRejected() {
        #expect(throws: ValidationError.self) {
            try NodeConfiguration.Layer.parse(toml: "cluster_port = \"seven\"\n", source: "t.toml")
        }
        #expect(throws: ValidationError.self) {
            try NodeConfiguration.Layer.parse(toml: "name = \n", source: "t.toml")
        }
    }

    /// One error lists every problem, so a broken config is fixed in one go.
    @Test func everyProblemIsReportedAtOnce() {
        var layer = NodeConfiguration.Layer()
        layer.httpPort = 70_000
        layer.seeds = ["no-port"]
        layer.logLevel = "loud"
        layer.agentSleepMs = 5
        layer.agentCpuIterations = 5
        do {
            _ = try NodeConfiguration(layer)
            Issue.record("an invalid configuration was accepted")
        } catch let error as ValidationError {
            for fragment in [
                "name is required", "cluster_port is required", "certs_dir is required", "http_port",
                "seed no-port", "log_level", "agent_cpu_iterations",
            ] {
                #expect(error.message.contains(fragment), "missing: \(fragment)")
            }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    static let tokensLine = TokenEntry.line(token: "example-token", role: .admin, tenant: "ops", label: "example")

    @Test func tokensFileIsReadIntoDigestsWithErrorsByLine() throws {
        var layer = NodeConfiguration.Layer(name: "n", clusterPort: 7001, certsDir: "c")
        layer.tokensFile = "/etc/tokens"
        let config = try NodeConfiguration(layer, readFile: { _ in "# ops\n\(Self.tokensLine)\n" })
        #expect(config.tokens.map(\.role) == [.admin])
        #expect(config.httpSettings.tokens == config.tokens)
        do {
            _ = try NodeConfiguration(layer, readFile: { _ in "\(Self.tokensLine)\nexample-token admin ops\n" })
            Issue.record("a tokens file holding a token in clear was accepted")
        } catch let error as ValidationError {
            #expect(
                error.message.contains("/etc/tokens: tokens file line 2: the first field must be the 64 hex digits"))
        }
        #expect(throws: ValidationError.self) { try NodeConfiguration(layer, readFile: { _ in "# none\n" }) }
    }

    /// An API reachable from other hosts, with no token, is refused unless asked for on purpose.
    @Test func aNonLoopbackAPIWithoutTokensIsRefused() throws {
        var layer = NodeConfiguration.Layer(name: "n", clusterPort: 7001, certsDir: "c")
        layer.httpHost = "0.0.0.0"
        do {
            _ = try NodeConfiguration(layer)
            Issue.record("an open API on 0.0.0.0 was accepted")
        } catch let error as ValidationError {
            #expect(error.message.contains("http_host 0.0.0.0 is reachable from other hosts"))
        }
        layer.insecureOpenApi = true
        #expect(try NodeConfiguration(layer).insecureOpenAPI)
        layer.insecureOpenApi = nil
        layer.token = "t"
        _ = try NodeConfiguration(layer)
        for host in ["127.0.0.1", "127.0.0.5", "localhost", "::1"] {
            layer = NodeConfiguration.Layer(name: "n", clusterPort: 7001, certsDir: "c")
            layer.httpHost = host
            _ = try NodeConfiguration(layer)
        }
    }

    @Test func auditLogAndMetricsSettingsParse() throws {
        let layer = try NodeConfiguration.Layer.parse(
            toml: "name = \"n\"\ncluster_port = 7001\ncerts_dir = \"c\"\nmetrics_open = true\n"
                + "audit_log = \"/var/log/audit.jsonl\"\naudit_log_max_bytes = 100000\naudit_log_keep = 3\n",
            source: "t.toml")
        let config = try NodeConfiguration(layer)
        #expect(config.metricsOpen)
        #expect(config.httpSettings.metricsOpen)
        #expect(config.auditLog == AuditLog.Settings(path: "/var/log/audit.jsonl", maxBytes: 100_000, keep: 3))
        #expect(throws: ValidationError.self) {
            try NodeConfiguration.Layer.parse(toml: "metrics_open = 1\n", source: "t.toml")
        }
    }

    @Test func tokenComesFromItsFileTrimmed() throws {
        var layer = NodeConfiguration.Layer(name: "n", clusterPort: 7001, certsDir: "c")
        layer.tokenFile = "/secret"
        let config = try NodeConfiguration(
            layer,
            readFile: { path in
                #expect(path == "/secret")
                return "  t0ken\n"
            })
        #expect(config.token == "t0ken")
        layer.token = "inline"
        #expect(throws: ValidationError.self) { try NodeConfiguration(layer, readFile: { _ in "x" }) }
    }

    @Test func flagTokenReplacesAFileTokenFile() {
        let file = NodeConfiguration.Layer(tokenFile: "/secret")
        let flags = NodeConfiguration.Layer(token: "flag")
        let merged = file.overridden(by: flags)
        #expect(merged.token == "flag")
        #expect(merged.tokenFile == nil)
    }
}
