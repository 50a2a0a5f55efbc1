/// The rules of an update, shared by every backend so they cannot differ in what they fence off or
/// which fields they keep.
extension AssessmentRecord {
    /// The stored record as `change` leaves it: the mutable fields from `change`, the fixed ones kept,
    /// the version one higher. Throws when the write must be refused.
    func applying(_ change: AssessmentRecord, expectedVersion: Int?) throws(StoreError) -> AssessmentRecord {
        if change.epoch < epoch {
            throw StoreError.staleEpoch(stored: epoch, attempted: change.epoch)
        }
        if let expectedVersion, expectedVersion != version {
            throw StoreError.versionConflict(stored: version, expected: expectedVersion)
        }
        var next = self
        next.status = change.status
        next.epoch = change.epoch
        next.replicaSet = change.replicaSet
        next.leaving = change.leaving
        next.report = change.report
        next.progress = change.progress
        next.failure = change.failure
        next.updatedAt = change.updatedAt
        next.version = version + 1
        return next
    }
}
