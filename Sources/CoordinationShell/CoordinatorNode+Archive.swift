import Membership

extension CoordinatorNode {
    /// Whether `name` may still be alive, for the archive writer, which leaves a final state to the
    /// owner that made it until the owner is gone (docs/archive.md). Until membership has settled
    /// after start, every member counts as alive: the view is still filling in.
    package func memberMayBeAlive(_ name: String) -> Bool {
        guard isSettled else { return true }
        switch statusByName[name] {
        case .up?, .suspect?, .joining?: return true
        case .down?, .left?, nil: return false
        }
    }
}
