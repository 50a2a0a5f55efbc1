import ArgumentParser
import FoundationEssentials
import HTTPAPI

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make API tokens for a tokens file (docs/security.md).",
        subcommands: [Create.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random token once, and the tokens-file line that accepts it.",
            discussion: """
                The token is 32 random bytes from the system's generator, base64url-encoded. The line holds \
                only its SHA-256: add the line to every node's tokens_file and give the token to its user; \
                nothing keeps the token itself.
                """
        )

        @Option(help: "reader, submitter or admin.")
        var role: String

        @Option(help: "The tenant whose assessments the token reads (and writes).")
        var tenant: String

        @Option(help: "A name for the token in the audit log (letters, digits, . _ -).")
        var label: String?

        func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("--role must be reader, submitter or admin")
            }
            guard TokenEntry.isValidName(tenant) else {
                throw ValidationError("--tenant must be 1 to 64 of A-Z a-z 0-9 . _ -")
            }
            if let label, !TokenEntry.isValidName(label) {
                throw ValidationError("--label must be 1 to 64 of A-Z a-z 0-9 . _ -")
            }
        }

        func run() throws {
            let token = Self.newToken()
            let line = TokenEntry.line(token: token, role: Role(rawValue: role)!, tenant: tenant, label: label)
            print("token (shown once; give it to its user): \(token)")
            print("tokens_file line: \(line)")
        }

        /// 32 bytes from `SystemRandomNumberGenerator` (getrandom on Linux), base64url without padding.
        static func newToken() -> String {
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return String(
                Data(bytes).base64EncodedString().compactMap { character -> Character? in
                    switch character {
                    case "+": "-"
                    case "/": "_"
                    case "=": nil
                    default: character
                    }
                })
        }
    }
}
