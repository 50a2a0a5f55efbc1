/// Every way a store operation can fail. Callers branch on these, so backends map their own
/// errors into them instead of leaking driver types.
package enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The disk (or the configured size cap) is full. Nothing already committed is lost.
    case storageFull(String)
    /// Any other failure of the backend, with its own message.
    case ioError(String)

    package var description: String {
        switch self {
        case .storageFull(let message): "storage full: \(message)"
        case .ioError(let message): "storage I/O error: \(message)"
        }
    }
}
