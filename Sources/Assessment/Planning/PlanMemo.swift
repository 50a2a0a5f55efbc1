import Synchronization

/// The plans of the last few requests, per catalog: a plan is a pure function of the two, so a hit
/// is exact. Entries hold their catalog's identity object, so its address cannot be reused by
/// another catalog while they are here.
enum PlanMemo {
    private struct Entry {
        let catalog: CatalogIdentity
        let request: AssessmentRequest
        let plan: AssessmentPlan
    }

    private static let entries = Mutex<[Entry]>([])
    /// A node works on a few dozen assessments at once at most; a miss costs one plan.
    private static let capacity = 32

    static func plan(
        for request: AssessmentRequest, catalog: Catalog, compute: () -> AssessmentPlan
    ) -> AssessmentPlan {
        let hit = entries.withLock { entries in
            entries.last { $0.catalog === catalog.identity && $0.request == request }?.plan
        }
        if let hit { return hit }
        let plan = compute()
        entries.withLock { entries in
            entries.append(Entry(catalog: catalog.identity, request: request, plan: plan))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
        return plan
    }
}

/// Tells one loaded catalog from another without comparing their contents.
final class CatalogIdentity: Sendable {}
