import HummingbirdCore

/// `GET /v1/assessments?status=&limit=&cursor=` as typed values. `status` may repeat or list several
/// states separated by commas; no status means every state.
struct ListQuery: Sendable, Equatable {
    var statuses: Set<AssessmentState>
    var limit: Int
    var cursor: String?

    struct Problems: Error {
        var details: [ErrorBody.Detail]
    }

    static func parse(
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
        guard problems.isEmpty else { return .failure(Problems(details: problems)) }
        return .success(ListQuery(statuses: statuses, limit: limit, cursor: cursor))
    }
}
