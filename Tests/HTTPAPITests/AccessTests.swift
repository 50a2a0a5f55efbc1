import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Tokens, roles and tenants on every route (docs/security.md, "Authentication, roles and tenants").
@Suite struct AccessTests {
    /// Three tenants' tokens: a reader and a submitter of `acme`, a submitter of `globex`, an admin.
    enum Tokens {
        static let acmeReader = "acme-reader-token-0123456789abcdef"
        static let acmeSubmitter = "acme-submitter-token-0123456789ab"
        static let globexSubmitter = "globex-submitter-token-0123456789"
        static let admin = "admin-token-0123456789abcdef012345"

        static var file: String {
            """
            # tokens of the tests
            \(TokenEntry.line(token: acmeReader, role: .reader, tenant: "acme", label: "acme-dashboard"))
            \(TokenEntry.line(token: acmeSubmitter, role: .submitter, tenant: "acme", label: nil))

            \(TokenEntry.line(token: globexSubmitter, role: .submitter, tenant: "globex", label: "globex-ci"))   # CI
            \(TokenEntry.line(token: admin, role: .admin, tenant: "ops", label: "ops"))
            """
        }

        static func settings(_ change: (inout HTTPSettings) -> Void = { _ in }) throws -> HTTPSettings {
            let entries = try TokenBook.parse(file)
            return Fixtures.settings {
                $0.tokens = entries
                change(&$0)
            }
        }
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func tokensFileParsesCommentsBlankLinesAndLabels() throws {
        let entries = try TokenBook.parse(Tokens.file)
        #expect(entries.map(\.role) == [.reader, .submitter, .submitter, .admin])
        #expect(entries.map(\.tenant) == ["acme", "acme", "globex", "ops"])
        #expect(entries.map(\.label) == ["acme-dashboard", nil, "globex-ci", "ops"])
        #expect(entries.allSatisfy { $0.digest.count == 32 })
    }

    @Test(arguments: [
        ("abc reader acme", 1, "64 hex digits"),
        ("\(String(repeating: "a", count: 64)) owner acme", 1, "unknown role \"owner\""),
        ("# fine\n\(String(repeating: "a", count: 64)) reader", 2, "found 2 field(s)"),
        ("\(String(repeating: "a", count: 64)) reader ac/me", 1, "tenant"),
        ("\(String(repeating: "a", count: 64)) reader acme a b", 1, "found 5 field(s)"),
        (
            "\(String(repeating: "b", count: 64)) reader acme\n\n\(String(repeating: "b", count: 64)) admin ops", 3,
            "already on line 1"
        ),
    ])
    func badTokensFileLinesAreNamed(text: String, line: Int, problem: String) {
        #expect {
            _ = try TokenBook.parse(text)
        } throws: { error in
            guard let error = error as? TokensFileError else { return false }
            return error.line == line && error.description.contains(problem)
                && error.description.hasPrefix("tokens file line \(line): ")
        }
    }

    /// The review's probe: with tokens configured, reads without credentials answered 200 with a
    /// customer's data. Every route but health, readiness, schema and session now answers 401.
    @Test func everyReadNeedsATokenWhenTokensAreConfigured() async throws {
        try await withAPI(settings: try Tokens.settings()) { client, _ in
            let id = try await client.submitExample(headers: Self.bearer(Tokens.acmeSubmitter))
            let guarded = [
                "/v1/assessments?limit=5", "/v1/assessments/\(id)", "/v1/assessments/\(id)/report?format=markdown",
                "/v1/assessments/\(id)/events", "/v1/cluster", "/v1/cluster/stats", "/metrics", "/v1/whoami",
                "/v1/archive", "/v1/archive/status",
            ]
            for uri in guarded {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .unauthorized, "\(uri)")
                #expect(response.errorCode == "unauthorized", "\(uri)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer", "\(uri)")
                let wrong = try await client.execute(uri: uri, method: .get, headers: Self.bearer("guess"))
                #expect(wrong.status == .unauthorized, "\(uri)")
            }
            for uri in ["/healthz", "/readyz", "/v1/schema", "/v1/session"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .ok, "\(uri)")
            }
            let cancel = try await client.execute(uri: "/v1/assessments/\(id)", method: .delete)
            #expect(cancel.status == .unauthorized)
        }
    }

    @Test func metricsAndStatsNeedAnAdminUnlessOpened() async throws {
        try await withAPI(settings: try Tokens.settings()) { client, _ in
            for uri in ["/metrics", "/v1/cluster/stats"] {
                let reader = try await client.execute(uri: uri, method: .get, headers: Self.bearer(Tokens.acmeReader))
                #expect(reader.status == .forbidden, "\(uri)")
                #expect(reader.errorCode == "forbidden", "\(uri)")
                let admin = try await client.execute(uri: uri, method: .get, headers: Self.bearer(Tokens.admin))
                #expect(admin.status == .ok, "\(uri)")
            }
            // A reader may see the members.
            let cluster = try await client.execute(
                uri: "/v1/cluster", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(cluster.status == .ok)
            // The archive writer's status is the node's over every tenant, with its last error: an
            // admin's too. (This service has no archive: past the access check, 404.)
            let archiveStatus = try await client.execute(
                uri: "/v1/archive/status", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(archiveStatus.status == .forbidden)
            let adminArchiveStatus = try await client.execute(
                uri: "/v1/archive/status", method: .get, headers: Self.bearer(Tokens.admin))
            #expect(adminArchiveStatus.errorCode == "archive_not_configured")
            let archiveList = try await client.execute(
                uri: "/v1/archive", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(archiveList.errorCode == "archive_not_configured")
        }
        try await withAPI(settings: try Tokens.settings { $0.metricsOpen = true }) { client, _ in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            let stats = try await client.execute(uri: "/v1/cluster/stats", method: .get)
            #expect(stats.status == .ok)
            let cluster = try await client.execute(uri: "/v1/cluster", method: .get)
            #expect(cluster.status == .unauthorized)
        }
    }

    @Test func aReaderMayNotSubmitOrCancel() async throws {
        try await withAPI(settings: try Tokens.settings()) { client, _ in
            let refused = try await client.submit(try Fixtures.example(), headers: Self.bearer(Tokens.acmeReader))
            #expect(refused.status == .forbidden)
            #expect(refused.errorCode == "forbidden")
            let id = try await client.submitExample(headers: Self.bearer(Tokens.acmeSubmitter))
            let cancel = try await client.execute(
                uri: "/v1/assessments/\(id)", method: .delete, headers: Self.bearer(Tokens.acmeReader))
            #expect(cancel.status == .forbidden)
            let read = try await client.execute(
                uri: "/v1/assessments/\(id)", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(read.status == .ok)
        }
    }

    /// The review's probe, by tenant: another tenant's id is as unknown as a missing one, on every
    /// route, and listings show only the caller's tenant; an admin sees every tenant.
    @Test func anotherTenantsAssessmentIsNotFoundEverywhere() async throws {
        try await withAPI(settings: try Tokens.settings()) { client, service in
            let acme = try await client.submitExample(headers: Self.bearer(Tokens.acmeSubmitter))
            let globex = try await client.submitExample(headers: Self.bearer(Tokens.globexSubmitter))
            while try await service.step(acme) {}
            let globexToken = Self.bearer(Tokens.globexSubmitter)
            for uri in [
                "/v1/assessments/\(acme)", "/v1/assessments/\(acme)/report", "/v1/assessments/\(acme)/events",
            ] {
                let response = try await client.execute(uri: uri, method: .get, headers: globexToken)
                #expect(response.status == .notFound, "\(uri)")
                #expect(response.errorCode == "not_found", "\(uri)")
                #expect(try response.decode(ErrorBody.self).error.message == "no assessment \(acme)", "\(uri)")
            }
            let cancel = try await client.execute(
                uri: "/v1/assessments/\(acme)", method: .delete, headers: globexToken)
            #expect(cancel.status == .notFound)
            #expect(try await service.assessment(id: acme).state == .completed)

            let globexList = try await client.execute(uri: "/v1/assessments", method: .get, headers: globexToken)
            #expect(try globexList.decode(AssessmentListBody.self).items.map(\.id) == [globex])
            let acmeList = try await client.execute(
                uri: "/v1/assessments", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(try acmeList.decode(AssessmentListBody.self).items.map(\.id) == [acme])
            let adminList = try await client.execute(
                uri: "/v1/assessments", method: .get, headers: Self.bearer(Tokens.admin))
            #expect(Set(try adminList.decode(AssessmentListBody.self).items.map(\.id)) == [acme, globex])

            let own = try await client.execute(
                uri: "/v1/assessments/\(acme)/report", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(own.status == .ok)
            let admin = try await client.execute(
                uri: "/v1/assessments/\(globex)", method: .get, headers: Self.bearer(Tokens.admin))
            #expect(admin.status == .ok)
        }
    }

    @Test func whoamiNamesTheTokensRoleTenantAndLabel() async throws {
        try await withAPI(settings: try Tokens.settings()) { client, _ in
            let reader = try await client.execute(
                uri: "/v1/whoami", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(
                try reader.decode(WhoAmIBody.self)
                    == WhoAmIBody(role: "reader", tenant: "acme", label: "acme-dashboard"))
            let unlabelled = try await client.execute(
                uri: "/v1/whoami", method: .get, headers: Self.bearer(Tokens.acmeSubmitter))
            #expect(Set(unlabelled.object.keys) == ["role", "tenant", "label"])
            #expect(try unlabelled.decode(WhoAmIBody.self).label == nil)
            let session = try await client.execute(
                uri: "/v1/session", method: .get, headers: Self.bearer(Tokens.acmeReader))
            #expect(
                try session.decode(SessionBody.self)
                    == SessionBody(tokenRequired: true, canSubmit: false, role: "reader", tenant: "acme"))
        }
        // Open: everyone is the default tenant's admin.
        try await withAPI { client, _ in
            let open = try await client.execute(uri: "/v1/whoami", method: .get)
            #expect(try open.decode(WhoAmIBody.self) == WhoAmIBody(role: "admin", tenant: "default", label: nil))
        }
    }

    /// The `token` setting is still one admin token, of the default tenant, beside the file's.
    @Test func theSingleTokenSettingIsAnAdmin() async throws {
        try await withAPI(settings: try Tokens.settings { $0.token = "legacy-secret" }) { client, _ in
            let who = try await client.execute(uri: "/v1/whoami", method: .get, headers: Self.bearer("legacy-secret"))
            #expect(try who.decode(WhoAmIBody.self) == WhoAmIBody(role: "admin", tenant: "default", label: "token"))
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer("legacy-secret"))
            #expect(metrics.status == .ok)
        }
    }
}
