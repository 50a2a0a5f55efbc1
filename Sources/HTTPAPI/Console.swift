import CompressNIO
import FoundationEssentials
import HTTPTypes
import Hummingbird
import NIOCore

/// One file of the web console, embedded in the binary (`PackageResources`) like the catalog, so a
/// node serves its console wherever the binary is copied. See docs/console.md.
struct ConsoleAsset: Sendable {
    let name: String
    let contentType: String
    let bytes: [UInt8]
    let gzipped: [UInt8]?
    let etag: String

    init(name: String, contentType: String, bytes: [UInt8]) {
        self.name = name
        self.contentType = contentType
        self.bytes = bytes
        var buffer = ByteBuffer(bytes: bytes)
        let compressed = try? buffer.compress(with: .gzip())
        // Only worth sending when it saves something (an SVG icon may not shrink).
        gzipped = compressed.flatMap { $0.readableBytes < bytes.count ? Array($0.readableBytesView) : nil }
        etag = "\"\(Self.fnv1a(bytes))\""
    }

    /// FNV-1a 64 of the bytes: a validator only has to change when the bytes do.
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

package enum ConsoleAssets {
    /// Every file, by the name it is served under (`/console/<name>`); `index.html` is the shell of
    /// every page.
    static let all: [String: ConsoleAsset] = {
        let json = "application/json; charset=utf-8"
        let files: [(String, String, [UInt8])] = [
            ("index.html", "text/html; charset=utf-8", PackageResources.index_html),
            ("console.css", "text/css; charset=utf-8", PackageResources.console_css),
            ("app.js", "text/javascript; charset=utf-8", PackageResources.app_js),
            ("api.js", "text/javascript; charset=utf-8", PackageResources.api_js),
            ("dom.js", "text/javascript; charset=utf-8", PackageResources.dom_js),
            ("form.js", "text/javascript; charset=utf-8", PackageResources.form_js),
            ("assessment.js", "text/javascript; charset=utf-8", PackageResources.assessment_js),
            ("charts.js", "text/javascript; charset=utf-8", PackageResources.charts_js),
            ("list.js", "text/javascript; charset=utf-8", PackageResources.list_js),
            ("cluster.js", "text/javascript; charset=utf-8", PackageResources.cluster_js),
            ("icon.svg", "image/svg+xml", PackageResources.icon_svg),
            ("examples/bank-eu-70b-fine-tuning.json", json, PackageResources.bank_eu_70b_fine_tuning_json),
            ("examples/enterprise-405b-serving.json", json, PackageResources.enterprise_405b_serving_json),
            ("examples/healthcare-startup-7b.json", json, PackageResources.healthcare_startup_7b_json),
            ("examples/nonprofit-tight-budget.json", json, PackageResources.nonprofit_tight_budget_json),
            ("examples/retailer-web-analytics.json", json, PackageResources.retailer_web_analytics_json),
            ("examples/eu-public-sector-residency.json", json, PackageResources.eu_public_sector_residency_json),
            ("examples/pretraining-13b.json", json, PackageResources.pretraining_13b_json),
            ("examples/saas-mixtral-32k.json", json, PackageResources.saas_mixtral_32k_json),
            ("examples/web-startup-300.json", json, PackageResources.web_startup_300_json),
        ]
        return Dictionary(
            uniqueKeysWithValues: files.map { ($0.0, ConsoleAsset(name: $0.0, contentType: $0.1, bytes: $0.2)) })
    }()

    /// The names and bytes of every embedded file, for tests.
    package static var files: [String: [UInt8]] { all.mapValues(\.bytes) }

    /// The console's pages: each answers with the shell, whose script draws the page from the URL,
    /// so a bookmarked or shared link works on any node.
    package static let pages = ["/", "/assessments", "/assessments/:id", "/cluster"]
}

/// Serves the console and gives every page its Content-Security-Policy.
struct ConsoleRoutes: Sendable {
    let origins: AllowedOrigins

    func page(_ request: Request, context: some RequestContext) async -> Response {
        await serve(ConsoleAssets.all["index.html"]!, request)
    }

    func asset(_ request: Request, context: some RequestContext) async -> Response {
        let path = request.uri.path
        let name = path.hasPrefix("/console/") ? String(path.dropFirst("/console/".count)) : ""
        guard let asset = ConsoleAssets.all[name] else {
            return JSONResponse.error(.notFound, code: "route_not_found", message: "no route \(request.uri.path)")
        }
        return await serve(asset, request)
    }

    private func serve(_ asset: ConsoleAsset, _ request: Request) async -> Response {
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        // Cached but revalidated: an upgraded node serves its new console at once, and an unchanged
        // file costs a 304.
        headers[.cacheControl] = "no-cache"
        headers[.vary] = "Accept-Encoding"
        headers[.contentSecurityPolicy] = Self.policy(connecting: await origins.all())
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingSpaces == asset.etag || $0 == "*" })
        {
            return Response(status: .notModified, headers: headers)
        }
        if let gzipped = asset.gzipped, Self.acceptsGzip(request.headers[.acceptEncoding]) {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: gzipped)))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    /// Only this node's own origin for everything, plus the other members' (and configured) origins
    /// for `connect-src`, which the console needs to fail over to another member.
    static func policy(connecting origins: [String]) -> String {
        let connect = (["'self'"] + origins.sorted()).joined(separator: " ")
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src \(connect); object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'"
    }

    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map(\.trimmingSpaces)
            guard parts.first?.lowercased() == "gzip" else { return false }
            // `gzip;q=0` means "not gzip".
            return !parts.dropFirst().contains { String($0.filter { $0 != " " }) == "q=0" }
        }
    }
}

/// The browser origins this node lets call its API: the configured ones and every member's HTTP
/// address as `scheme://host:port`, read from the membership when asked, so a member that joins later
/// is allowed without a restart. The scheme is this node's own: a cluster serves HTTPS on every member
/// or on none (docs/security.md, "HTTPS").
struct AllowedOrigins: Sendable {
    let configured: [String]
    let service: any AssessmentService
    /// `https` when this node serves HTTPS (`http_tls_cert`), else `http`.
    var scheme = "http"

    func all() async -> [String] {
        let members = await service.cluster().members.compactMap(\.httpAddress).map { "\(scheme)://\($0)" }
        return Array(Set(configured + members))
    }

    func allows(_ origin: String) async -> Bool {
        if configured.contains(origin) { return true }
        return await all().contains(origin)
    }
}

/// CORS for the members' own origins (and configured ones) only: the allowed origin is echoed, never
/// `*`, so a token kept by the console on one member's page is sent to the others and nowhere else.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: AllowedOrigins

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = await origins.allows(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else {
                return JSONResponse.error(
                    .forbidden, code: "origin_not_allowed", message: "origin \(origin) may not call this API")
            }
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, DELETE"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Idempotency-Key"
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "Location, Retry-After"
            response.headers[.vary] = response.headers[.vary].map { "\($0), Origin" } ?? "Origin"
        }
        return response
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
