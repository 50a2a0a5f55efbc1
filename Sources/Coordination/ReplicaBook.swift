/// Every record this node stores, by id, and how many of them are unfinished: a node stores about
/// `R/N` of the cluster's records, so that count over `R` is what the average owner has unfinished,
/// which keyless submissions weigh against this node's own backlog (see `keylessID`). Counted as the
/// records change, as counting them per submission would walk every retained record.
struct ReplicaBook: Sendable {
    private(set) var all: [String: ReplicaMeta] = [:]
    private(set) var unfinished = 0
    /// Unfinished records read from the store at start that another node owns, not counted until
    /// news of them arrives: one that finished while this node was down stays unfinished here, as
    /// its owner's final write reached a majority without this node and nothing sends it again.
    private(set) var uncounted: Set<String> = []

    subscript(id: String) -> ReplicaMeta? {
        get { all[id] }
        set {
            if let old = all[id], !old.status.isTerminal, uncounted.remove(id) == nil { unfinished -= 1 }
            if let newValue, !newValue.status.isTerminal { unfinished += 1 }
            all[id] = newValue
        }
    }

    /// A record read from this node's store at start; `counted` false for one another node owns.
    mutating func load(_ id: String, _ meta: ReplicaMeta, counted: Bool) {
        self[id] = meta
        if !counted, !meta.status.isTerminal {
            unfinished -= 1
            uncounted.insert(id)
        }
    }
}
