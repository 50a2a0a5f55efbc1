/// Every way a store operation can fail. Callers branch on these, so backends map their own
/// errors into them instead of leaking driver types.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case notFound(id: String)
    /// A write from an owner older than the one the store has seen: the writer has been deposed.
    case staleEpoch(stored: Int, attempted: Int)
    /// A compare-and-set on the version lost to another write.
    case versionConflict(stored: Int, expected: Int)
    case duplicateID(String)
    /// Another record already holds this idempotency key; submission should answer with that id.
    case duplicateIdempotencyKey(key: String, existingID: String)
    /// The disk (or the configured size cap) is full. Nothing already committed is lost.
    case storageFull(String)
    /// Any other failure of the backend, with its own message.
    case ioError(String)

    public var description: String {
        switch self {
        case .notFound(let id): "assessment \(id) not found"
        case .staleEpoch(let stored, let attempted): "stale epoch \(attempted): the store holds epoch \(stored)"
        case .versionConflict(let stored, let expected): "version conflict: expected \(expected), stored \(stored)"
        case .duplicateID(let id): "assessment \(id) already exists"
        case .duplicateIdempotencyKey(let key, let id): "idempotency key \(key) already names assessment \(id)"
        case .storageFull(let message): "storage full: \(message)"
        case .ioError(let message): "storage I/O error: \(message)"
        }
    }
}
