import Crypto
import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore

/// What a token may do (docs/security.md, "Authentication, roles and tenants"). Each role includes
/// the ones before it.
package enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Reads its tenant's assessments and the cluster view.
    case reader
    /// A reader that also submits and cancels in its tenant.
    case submitter
    /// Every tenant, the cluster's statistics and `/metrics`.
    case admin

    private var rank: Int {
        switch self {
        case .reader: 0
        case .submitter: 1
        case .admin: 2
        }
    }

    package static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Who is asking: the entry of the tokens file their token matched, or everyone when the node has no
/// tokens. Never holds the token.
package struct Caller: Sendable, Hashable {
    package var role: Role
    package var tenant: String
    package var label: String?
    /// The first 12 hex digits of the token's SHA-256, naming a token without a label in the audit log.
    package var fingerprint: String?

    package init(role: Role, tenant: String, label: String?, fingerprint: String?) {
        self.role = role
        self.tenant = tenant
        self.label = label
        self.fingerprint = fingerprint
    }

    /// The tenant of assessments submitted where no tokens are configured (and before tenants existed).
    package static let defaultTenant = "default"

    /// Anyone, on a node without tokens.
    static let open = Caller(role: .admin, tenant: defaultTenant, label: nil, fingerprint: nil)

    /// Whether this caller may see an assessment of `tenant` (nil: stored before tenants existed).
    package func sees(tenant: String?) -> Bool {
        role == .admin || (tenant ?? Self.defaultTenant) == self.tenant
    }

    /// How the audit log names the token.
    var auditName: String? { label ?? fingerprint.map { "sha256:\($0)" } }
}

/// One line of the tokens file.
package struct TokenEntry: Sendable, Hashable {
    /// SHA-256 of the token.
    package var digest: [UInt8]
    package var role: Role
    package var tenant: String
    package var label: String?

    package init(digest: [UInt8], role: Role, tenant: String, label: String?) {
        self.digest = digest
        self.role = role
        self.tenant = tenant
        self.label = label
    }

    /// The entry for a token given in full (the `token` / `token_file` settings: one admin token).
    package static func admin(token: String) -> TokenEntry {
        TokenEntry(
            digest: Array(SHA256.hash(data: Array(token.utf8))), role: .admin, tenant: Caller.defaultTenant,
            label: "token")
    }

    /// The line to add to a tokens file for `token`.
    package static func line(token: String, role: Role, tenant: String, label: String?) -> String {
        let hex = SHA256.hash(data: Array(token.utf8)).map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
        return ([hex, role.rawValue, tenant] + (label.map { [$0] } ?? [])).joined(separator: " ")
    }

    /// 1 to 64 of `A-Z a-z 0-9 . _ -`: a tenant is written into ids, logs and the archive as is.
    package static func isValidName(_ name: some StringProtocol) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }
}

/// A tokens file that cannot be used, with the line at fault.
package struct TokensFileError: Error, Sendable, Hashable, CustomStringConvertible {
    package var line: Int
    package var problem: String

    package var description: String { "tokens file line \(line): \(problem)" }
}

/// The tokens a node accepts, held as SHA-256 digests only.
package struct TokenBook: Sendable {
    package let entries: [TokenEntry]

    package init(entries: [TokenEntry]) {
        self.entries = entries
    }

    /// Parses `<sha256 hex of the token> <role> <tenant> [<label>]` lines; `#` starts a comment.
    package static func parse(_ text: String) throws(TokensFileError) -> [TokenEntry] {
        var entries: [TokenEntry] = []
        var seen: [[UInt8]: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard (3...4).contains(fields.count) else {
                throw TokensFileError(
                    line: number,
                    problem: "expected `<sha256 hex of the token> <role> <tenant> [<label>]`, found \(fields.count) "
                        + "field(s)")
            }
            guard let digest = Self.hexBytes(fields[0]), digest.count == 32 else {
                throw TokensFileError(
                    line: number,
                    problem: "the first field must be the 64 hex digits of the token's SHA-256 (never the token "
                        + "itself; `inframind token create` prints the line)")
            }
            guard let role = Role(rawValue: String(fields[1])) else {
                throw TokensFileError(
                    line: number, problem: "unknown role \"\(fields[1])\"; one of reader, submitter, admin")
            }
            guard TokenEntry.isValidName(fields[2]) else {
                throw TokensFileError(line: number, problem: "the tenant must be 1 to 64 of A-Z a-z 0-9 . _ -")
            }
            if fields.count == 4, !TokenEntry.isValidName(fields[3]) {
                throw TokensFileError(line: number, problem: "the label must be 1 to 64 of A-Z a-z 0-9 . _ -")
            }
            if let first = seen[digest] {
                throw TokensFileError(line: number, problem: "the same token is already on line \(first)")
            }
            seen[digest] = number
            entries.append(
                TokenEntry(
                    digest: digest, role: role, tenant: String(fields[2]),
                    label: fields.count == 4 ? String(fields[3]) : nil))
        }
        return entries
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in text.utf8 {
            let value: UInt8
            switch character {
            case 0x30...0x39: value = character - 0x30
            case 0x61...0x66: value = character - 0x61 + 10
            case 0x41...0x46: value = character - 0x41 + 10
            default: return nil
            }
            if let pending = high {
                bytes.append(pending << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }

    /// The caller whose token is in `Authorization: Bearer …`, or nil. The presented token is hashed
    /// and compared with every entry in constant time, so neither the time taken nor the order of
    /// the file tells how close a guess was.
    func caller(_ fields: HTTPFields) -> Caller? {
        guard let presented = BearerToken.presented(fields) else { return nil }
        let digest = Array(SHA256.hash(data: presented))
        var match: TokenEntry?
        for entry in entries where BearerToken.constantTimeEqual(digest, entry.digest) {
            match = entry
        }
        guard let match else { return nil }
        let fingerprint = digest.prefix(6).map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
        return Caller(role: match.role, tenant: match.tenant, label: match.label, fingerprint: fingerprint)
    }
}

/// The node's request context: Hummingbird's core storage and who is asking, once the access
/// middleware has looked at the token.
package struct APIRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `AccessMiddleware` on the routes it guards; `Caller.open` elsewhere.
    package var caller: Caller
    /// The client's address, for the per-client caps on event streams (`ConnectionLimits`).
    package var remoteAddress: SocketAddress?
    /// Completes when the client's connection closes: an event stream ends then, rather than at its
    /// next heartbeat's failed write, and gives its place back (`ConnectionLimits.streamsPerClient`).
    package var connectionClosed: EventLoopFuture<Void>?

    package init(source: Source) {
        coreContext = .init(source: source)
        caller = .open
        remoteAddress = source.channel.remoteAddress
        connectionClosed = source.channel.closeFuture
    }
}

/// Guards a group of routes: 401 without a known token, 403 when the token's role is below `minimum`.
/// With no tokens configured everyone is let through as `Caller.open`.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let book: TokenBook?
    let minimum: Role
    let audit: AuditLog?

    func handle(
        _ request: Request, context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let book else { return try await next(request, context) }
        var context = context
        guard let caller = book.caller(request.headers) else {
            context.logger.notice("request without a valid bearer token refused")
            audit?.refused(request, context: context, caller: nil, outcome: "unauthorized")
            throw APIError.unauthorized
        }
        guard caller.role >= minimum else {
            audit?.refused(request, context: context, caller: caller, outcome: "forbidden")
            throw APIError(
                .forbidden, code: "forbidden",
                message: "a \(caller.role.rawValue) token may not do this; it needs \(minimum.rawValue)")
        }
        context.caller = caller
        return try await next(request, context)
    }
}
