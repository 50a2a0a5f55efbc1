import ArgumentParser
import Testing

@testable import NodeRuntime
@testable import inframind

/// `cluster_members_allowed` (docs/security.md#peer-identity) from the file and the flags.
@Suite struct MembersAllowedTests {
    @Test func theListComesFromTheFileOrTheFlagsAndReachesTheTransport() throws {
        let file = try NodeConfiguration.Layer.parse(
            toml: """
                name = "node-1"
                cluster_port = 7001
                certs_dir = "c"
                cluster_members_allowed = ["node-1", "node-2"]
                """, source: "test")
        #expect(try NodeConfiguration(file).clusterMembersAllowed == ["node-1", "node-2"])
        #expect(
            try NodeConfiguration(NodeConfiguration.Layer(name: "n", clusterPort: 1, certsDir: "c"))
                .clusterMembersAllowed == nil)
        let flags = try NodeOptions.parse([
            "--name", "node-1", "--port", "7001", "--certs", "c", "--cluster-members-allowed", "node-1,node-2",
            "--cluster-members-allowed", "node-3",
        ])
        #expect(try flags.resolve().clusterMembersAllowed == ["node-1", "node-2", "node-3"])
    }

    @Test func aListWithoutThisNodeOrASeedIsRefused() {
        var layer = NodeConfiguration.Layer(name: "node-1", clusterPort: 7001, certsDir: "c")
        layer.seeds = ["node-2@127.0.0.1:7002"]
        layer.clusterMembersAllowed = ["node-3"]
        do {
            _ = try NodeConfiguration(layer)
            Issue.record("accepted a list without the node and its seed")
        } catch {
            #expect("\(error)".contains("must list this node (node-1)"))
            #expect("\(error)".contains("seed node-2 is not in cluster_members_allowed"))
        }
    }
}
