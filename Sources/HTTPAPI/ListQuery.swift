import HummingbirdCore

/// `GET /v1/assessments?status=&limit=&cursor=&q=` as typed values. `status` may repeat or list several
/// states separated by commas; no status means every state; `q` keeps the titles that contain it.
/// `package` so the list-query fuzz target (Fuzz/, docs/fuzzing.md) parses exactly what the route does.
package struct ListQuery: Sendable, Equatable {
    package var statuses: Set<AssessmentState>
    package var limit: Int
    package var cursor: String?
    package var title: String? = nil

    /// The longest `q`: a title is at most 200 characters (the request schema's `title`).
    package static let maxTitleQuery = 200

    package struct Problems: Error {
        package var details: [ErrorBody.Detail]
    }

    package static func parse(
        _ parameters: FlatDictionary<Substring, Substring>, defaultLimit: Int, maxLimit: Int
    ) -> Result<ListQuery, Problems> {
        var problems: [ErrorBody.Detail] = []
        var statuses = Set<AssessmentState>()
        for value in parameters[values: "status"] {
            for name in value.split(separator: ",") {
                if let state = AssessmentState(rawValue: String(name)) {
                    statuses.insert(state)
                } else {
                    let known = AssessmentState.allCases.map(\.rawValue).joined(separator: ", ")
                    problems.append(.init(field: "status", problem: "unknown status \"\(name)\"; one of \(known)"))
                }
            }
        }
        var limit = defaultLimit
        if let text = parameters["limit"] {
            if let value = Int(text), (1...maxLimit).contains(value) {
                limit = value
            } else {
                problems.append(.init(field: "limit", problem: "must be an integer from 1 to \(maxLimit)"))
            }
        }
        var cursor: String?
        if let text = parameters["cursor"] {
            if text.isEmpty {
                problems.append(.init(field: "cursor", problem: "must not be empty"))
            } else {
                cursor = String(text)
            }
        }
        var title: String?
        if let text = parameters["q"] {
            let words = text.trimmingPrefix(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
            let query = String(words)
            if query.unicodeScalars.count > maxTitleQuery {
                problems.append(.init(field: "q", problem: "must be at most \(maxTitleQuery) characters"))
            } else if query.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                problems.append(.init(field: "q", problem: "must not hold control characters"))
            } else if !query.isEmpty {
                title = query
            }
        }
        guard problems.isEmpty else { return .failure(Problems(details: problems)) }
        return .success(ListQuery(statuses: statuses, limit: limit, cursor: cursor, title: title))
    }
}
