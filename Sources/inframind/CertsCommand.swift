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
            abstract: "Create a CA, node certificates and optionally an HTTP server certificate.",
            discussion: """
                Writes, in --out (the directory nodes read): ca.pem and, for each node, <name>.pem and \
                <name>-key.pem. The CA's key, ca-key.pem, goes to --ca-out (default: the sibling directory \
                <out>-ca), which no node needs: keep it offline. Keys are created mode 0600, directories 0700. \
                A node certificate names its node as its only DNS SAN and carries no IP SAN: with an IP SAN, \
                any node's certificate would pass for any other node on the same address. Node i expires \
                i × --stagger-days days before the first, so renewals never all fall due at once. \
                With --http-name/--http-ip, also http.pem and http-key.pem (a TLS server certificate for the \
                HTTP API with those SANs, for http_tls_cert/http_tls_key), signed by a CA of its own \
                (http-ca.pem, its key http-ca-key.pem in --ca-out; give clients http-ca.pem) unless --http-ca \
                cluster signs it with the cluster CA (give clients ca.pem). See docs/security.md.
                """
        )

        enum HTTPCA: String, ExpressibleByArgument, CaseIterable {
            case separate, cluster
        }

        @Option(name: .long, help: "Directory the nodes read: CA certificate, node certificates and keys.")
        var out: String

        @Option(name: .long, help: "Directory for the CA keys, apart from --out (default: <out>-ca).")
        var caOut: String?

        @Option(name: .long, help: "Number of nodes: certificates for node-1 … node-N.")
        var nodes: Int?

        @Option(name: .long, parsing: .upToNextOption, help: "Explicit node names (instead of or besides --nodes).")
        var names: [String] = []

        @Option(name: .long, help: "A DNS name of the HTTP API for http.pem; repeat for several.")
        var httpName: [String] = []

        @Option(name: .long, help: "An IP address of the HTTP API for http.pem; repeat for several.")
        var httpIp: [String] = []

        @Option(name: .long, help: "Who signs http.pem: its own CA (separate, the default) or the cluster CA.")
        var httpCa: HTTPCA = .separate

        @Option(name: .long, help: "Days between consecutive nodes' expiries (default 1).")
        var staggerDays: Int = 1

        @Option(name: .long, help: "Days a certificate is valid (default 825).")
        var validityDays: Int = 825

        @Flag(
            name: .long,
            help:
                "Sign with the existing CA (ca.pem in --out, ca-key.pem in --ca-out): renew node certificates without a new CA."
        )
        var reuseCa = false

        @Flag(name: .long, help: "Replace an existing CA in --out.")
        var force = false

        func validate() throws {
            guard (nodes ?? 0) >= 0, (nodes ?? 0) <= 1000 else { throw ValidationError("--nodes must be 1…1000") }
            guard (nodes ?? 0) > 0 || !names.isEmpty || (reuseCa && !(httpName.isEmpty && httpIp.isEmpty)) else {
                throw ValidationError("give --nodes N or --names …")
            }
            for name in names + httpName
            where name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) {
                throw ValidationError("'\(name)' must be a DNS name (letters, digits, '-', '.')")
            }
            for ip in httpIp where IPAddressBytes.parse(ip) == nil {
                throw ValidationError("--http-ip \(ip) is not an IPv4 or IPv6 address")
            }
            guard (1...3650).contains(validityDays) else { throw ValidationError("--validity-days must be 1…3650") }
            guard staggerDays >= 0 else { throw ValidationError("--stagger-days must be 0 or more") }
            if reuseCa && force { throw ValidationError("--reuse-ca keeps the CA; --force replaces it: give one") }
            if Self.normalized(caDirectory) == Self.normalized(out) {
                throw ValidationError("--ca-out must not be --out: nodes read --out, and must never hold the CA key")
            }
        }

        /// The default puts the CA key beside the nodes' directory, never in it.
        var caDirectory: String { caOut ?? Self.normalized(out) + "-ca" }

        static func normalized(_ path: String) -> String {
            var path = path
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return path
        }

        func run() throws {
            let nodeNames = (nodes.map { count in (1...max(count, 1)).map { "node-\($0)" } } ?? []) + names
            let ca = URL(fileURLWithPath: out).appendingPathComponent("ca.pem")
            if FileManager.default.fileExists(atPath: ca.path) && !force && !reuseCa {
                throw ValidationError(
                    "\(ca.path) exists; pass --reuse-ca to sign with it, or --force to replace the cluster CA")
            }
            let http =
                httpName.isEmpty && httpIp.isEmpty
                ? nil
                : CertificateAuthority.HTTPServerRequest(
                    dnsNames: httpName, ipAddresses: httpIp.compactMap(IPAddressBytes.parse),
                    separateCA: httpCa == .separate)
            let written: [String]
            do {
                written = try CertificateAuthority.writeClusterPKI(
                    to: URL(fileURLWithPath: out), nodeNames: nodeNames,
                    caKeyDirectory: URL(fileURLWithPath: caDirectory),
                    reuseCA: reuseCa, http: http, validityDays: validityDays, staggerDays: staggerDays)
            } catch {
                throw ValidationError("\(error)")
            }
            for path in written { print("wrote \(path)") }
            print(
                "\(nodeNames.count) node certificate(s) in \(out) (\(nodeNames.joined(separator: ", "))); "
                    + (reuseCa ? "signed with the CA in \(caDirectory)" : "CA key in \(caDirectory)")
                    + ": no node needs it, keep it offline")
            let stray = URL(fileURLWithPath: out).appendingPathComponent("ca-key.pem").path
            if FileManager.default.fileExists(atPath: stray) {
                print(
                    "warning: \(stray) (from an earlier certs init) is in the directory nodes read: move it to \(caDirectory)"
                )
            }
        }
    }
}
