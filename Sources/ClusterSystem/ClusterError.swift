import Wire

/// Everything a remote call can fail with. The cases are distinct so that callers can react
/// differently: requeue work on `peerUnreachable`, treat `unknownTarget` as a version bug,
/// and surface `remoteError` as the callee's own failure.
package enum ClusterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The connection to the node is gone (or could not be made); calls in flight on it fail
    /// at once with this rather than waiting for their deadline.
    case peerUnreachable(node: String, reason: String)
    case deadlineExceeded(target: String, timeout: Duration)
    case unknownActor(ActorID)
    case unknownTarget(String)
    case decodeFailure(String)
    /// The remote actor threw: its error's type name and description.
    case remoteError(type: String, message: String)
    case genericSubstitutionRefused(String)
    /// The method has no stable wire name: its actor type does not list it in its method table.
    case unregisteredMethod(String)
    case overloaded(String)
    /// The call's frame is larger than the frame limit: the peer would drop the connection on it
    /// (and every call in flight with it), so it is refused here instead, and nothing is sent.
    case messageTooLarge(target: String, bytes: Int, limit: Int)
    case shutDown

    package var description: String {
        switch self {
        case .peerUnreachable(let node, let reason): return "peer \(node) unreachable: \(reason)"
        case .deadlineExceeded(let target, let timeout): return "call \(target) exceeded its deadline of \(timeout)"
        case .unknownActor(let id): return "no actor \(id)"
        case .unknownTarget(let name): return "the callee has no method '\(name)'"
        case .decodeFailure(let what): return "could not decode: \(what)"
        case .remoteError(let type, let message): return "remote \(type): \(message)"
        case .genericSubstitutionRefused(let name): return "generic substitution '\(name)' is not allowed"
        case .unregisteredMethod(let name): return "no stable wire name for \(name)"
        case .overloaded(let what): return "overloaded: \(what)"
        case .messageTooLarge(let target, let bytes, let limit):
            return "call \(target) of \(bytes) bytes exceeds the frame limit of \(limit) bytes"
        case .shutDown: return "the cluster system is shut down"
        }
    }

    init(failure: FailureFrame, recipient: ActorID) {
        switch failure.kind {
        case .remoteError: self = .remoteError(type: failure.errorType, message: failure.message)
        case .unknownActor: self = .unknownActor(recipient)
        case .unknownTarget: self = .unknownTarget(failure.message)
        case .decodeFailure: self = .decodeFailure(failure.message)
        case .deadlineExceeded: self = .deadlineExceeded(target: failure.message, timeout: .zero)
        case .genericSubstitutionRefused: self = .genericSubstitutionRefused(failure.message)
        }
    }
}

/// A message claimed a sender other than the node whose certificate the call carrying it came with
/// (`ClusterSystem.senderMatchesCaller`); thrown back to that caller, never acted on.
package struct SenderMismatch: Error, Sendable, CustomStringConvertible {
    package var certified: String
    package var claimed: String

    package init(certified: String, claimed: String) {
        self.certified = certified
        self.claimed = claimed
    }

    package var description: String {
        "refused: the message claims to come from '\(claimed)' but the connection is certified for '\(certified)'"
    }
}
