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
