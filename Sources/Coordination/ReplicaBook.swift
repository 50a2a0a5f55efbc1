/// Every record this node stores, by id, and how many of them are unfinished: a node stores about
/// `R/N` of the cluster's records, so that count over `R` is what the average owner has unfinished,
/// which keyless submissions weigh against this node's own backlog (see `keylessID`). Counted as the
/// records change, as counting them per submission would walk every retained record.
struct ReplicaBook: Sendable {
    private(set) var all: [String: ReplicaMeta] = [:]
    private(set) var unfinished = 0

    subscript(id: String) -> ReplicaMeta? {
        get { all[id] }
        set {
            if let old = all[id], !old.status.isTerminal { unfinished -= 1 }
            if let newValue, !newValue.status.isTerminal { unfinished += 1 }
            all[id] = newValue
        }
    }
}
