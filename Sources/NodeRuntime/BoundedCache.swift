import Synchronization

/// Values by key, at most `capacity` of them: past it the key inserted first goes first. Shared by
/// the agent executor's caches, which hold what a node's agents need again soon and must not grow
/// with every assessment the node ever saw.
final class BoundedCache<Value: Sendable>: Sendable {
    private struct Entries {
        var values: [String: Value] = [:]
        var order: [String] = []
    }

    private let entries = Mutex(Entries())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func value(forKey key: String) -> Value? {
        entries.withLock { $0.values[key] }
    }

    /// Stores `value`; a key already present keeps its place in the eviction order.
    func insert(_ value: Value, forKey key: String) {
        entries.withLock { entries in
            guard entries.values.updateValue(value, forKey: key) == nil else { return }
            entries.order.append(key)
            if entries.order.count > capacity { entries.values[entries.order.removeFirst()] = nil }
        }
    }

    func removeValue(forKey key: String) -> Value? {
        entries.withLock { entries -> Value? in
            guard let value = entries.values.removeValue(forKey: key) else { return nil }
            entries.order.removeAll { $0 == key }
            return value
        }
    }
}
