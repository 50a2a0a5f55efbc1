import Synchronization

/// The node's bounded admission queue: at most `limit` submissions in flight, and a refusal (not a
/// wait) beyond that. Refusing keeps latency bounded under overload; waiting would only hide the
/// overload behind growing response times.
final class AdmissionGate: Sendable {
    let limit: Int
    private let inFlight = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot if one is free.
    func tryEnter() -> Bool {
        inFlight.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() {
        inFlight.withLock { $0 -= 1 }
    }

    var current: Int { inFlight.withLock { $0 } }
}
