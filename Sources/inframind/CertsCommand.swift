import ArgumentParser
import ClusterSystem
import FoundationEssentials

struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make the cluster's certificates (a development CA and one certificate per node).",
        subcommands: [Init.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a CA and node certificates.",
            discussion: """
                Writes ca.pem, ca-key.pem and, for each node, <name>.pem and <name>-key.pem (keys mode 0600). \
                A node certificate names its node as its only DNS SAN and carries no IP SAN: with an IP SAN, \
                any node's certificate would pass for any other node on the same address.
                """
        )

        @Option(name: .long, help: "Directory to write the PEM files to.")
        var out: String

        @Option(name: .long, help: "Number of nodes: certificates for node-1 … node-N.")
        var nodes: Int?

        @Option(name: .long, parsing: .upToNextOption, help: "Explicit node names (instead of or besides --nodes).")
        var names: [String] = []

        @Flag(name: .long, help: "Replace an existing CA in --out.")
        var force = false

        func validate() throws {
            guard (nodes ?? 0) >= 0, (nodes ?? 0) <= 1000 else { throw ValidationError("--nodes must be 1…1000") }
            guard (nodes ?? 0) > 0 || !names.isEmpty else { throw ValidationError("give --nodes N or --names …") }
            for name in names
            where name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) {
                throw ValidationError("node name '\(name)' must be a DNS name (letters, digits, '-', '.')")
            }
        }

        func run() throws {
            let nodeNames = (nodes.map { count in (1...max(count, 1)).map { "node-\($0)" } } ?? []) + names
            let ca = URL(fileURLWithPath: out).appendingPathComponent("ca.pem")
            if FileManager.default.fileExists(atPath: ca.path) && !force {
                throw ValidationError("\(ca.path) exists; pass --force to replace the cluster CA")
            }
            try CertificateAuthority.writeClusterPKI(to: URL(fileURLWithPath: out), nodeNames: nodeNames)
            print("wrote CA and \(nodeNames.count) node certificates to \(out): \(nodeNames.joined(separator: ", "))")
        }
    }
}
