import FoundationEssentials
import FuzzSupport
import HTTPAPI
import HummingbirdCore
import Storage

/// `GET /v1/assessments?…` as the route reads it: the input is the query string, parsed by
/// Hummingbird's `URI` and then `ListQuery.parse` (Sources/HTTPAPI/ListQuery.swift) with the
/// default settings, and a cursor it lets through is read as the service reads it
/// (`ListCursor(token:)`). What parses must be within the documented bounds; nothing traps.
enum ListFuzz {
    static let target = FuzzTarget(name: "list") { input in
        let settings = HTTPSettings()
        let uri = URI("/v1/assessments?" + String(decoding: input, as: UTF8.self))
        switch ListQuery.parse(
            uri.queryParameters, defaultLimit: settings.defaultPageSize, maxLimit: settings.maxPageSize)
        {
        case .failure(let problems):
            require(!problems.details.isEmpty, "a refused query names no problem")
        case .success(let query):
            require((1...settings.maxPageSize).contains(query.limit), "limit \(query.limit) out of range")
            if let title = query.title {
                require(!title.isEmpty && title.unicodeScalars.count <= ListQuery.maxTitleQuery)
                require(!title.unicodeScalars.contains { $0.properties.generalCategory == .control })
            }
            if let token = query.cursor, let cursor = ListCursor(token: token) {
                require(ListCursor(token: cursor.token)?.id == cursor.id, "the cursor's id changes")
            }
        }
    }
}
