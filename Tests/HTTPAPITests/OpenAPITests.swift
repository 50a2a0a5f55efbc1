import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `openapi.json` at the repository root documents exactly the routes the server has.
@Suite struct OpenAPITests {
    static func documentedRoutes() throws -> Set<APIRoute> {
        let data = try Data(contentsOf: Fixtures.repoRoot.appendingPathComponent("openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var routes = Set<APIRoute>()
        for (path, operations) in paths {
            for method in operations.keys where methods.contains(method) {
                routes.insert(APIRoute(method: method.uppercased(), path: path))
            }
        }
        return routes
    }

    @Test func documentAndRouteTableAgree() throws {
        let documented = try Self.documentedRoutes()
        let served = Set(APIRoute.all)
        #expect(documented.subtracting(served).isEmpty, "documented but not served")
        #expect(served.subtracting(documented).isEmpty, "served but not documented")
    }

    /// The submission's body is described by the request's own JSON Schema, which `GET /v1/schema`
    /// serves: openapi.json holds a copy (AssessmentRequest, without `$schema` and `$id`) so that
    /// clients and schemathesis (scripts/schemathesis) see the whole contract. The copy must not drift.
    @Test func theSubmissionBodyIsTheRequestSchema() throws {
        func json(_ path: String) throws -> [String: Any] {
            let data = try Data(contentsOf: Fixtures.repoRoot.appendingPathComponent(path))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let document = try json("openapi.json")
        var schema = try json("schema/assessment-request.schema.json")
        schema["$schema"] = nil
        schema["$id"] = nil
        let components = try #require(document["components"] as? [String: Any])
        let copy = try #require((components["schemas"] as? [String: Any])?["AssessmentRequest"] as? [String: Any])
        func canonical(_ object: [String: Any]) throws -> Data {
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        }
        #expect(
            try canonical(copy) == canonical(schema),
            "openapi.json's AssessmentRequest differs from schema/assessment-request.schema.json: copy it over")
        let post = try #require((document["paths"] as? [String: Any])?["/v1/assessments"] as? [String: Any])
        let body = try #require((post["post"] as? [String: Any])?["requestBody"] as? [String: Any])
        let content = try #require((body["content"] as? [String: Any])?["application/json"] as? [String: Any])
        #expect((content["schema"] as? [String: Any])?["$ref"] as? String == "#/components/schemas/AssessmentRequest")
    }

    /// Each documented route is really registered: the router answers it with something other than its
    /// own "no such route" or "method not allowed".
    @Test func everyDocumentedRouteIsRouted() async throws {
        let routes = try Self.documentedRoutes()
        try await withAPI { client, _ in
            for route in routes {
                let uri = route.path.replacingOccurrences(of: "{id}", with: "unknown-id")
                let method = try #require(HTTPRequest.Method(route.method))
                let response = try await client.execute(uri: uri, method: method, body: ByteBuffer(string: "{}"))
                #expect(response.errorCode != "route_not_found", "\(route)")
                #expect(response.status != .methodNotAllowed, "\(route)")
            }
        }
    }
}
