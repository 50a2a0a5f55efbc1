import Distributed
import Synchronization
import Wire

/// A distributed actor type callable over the wire. It names each of its distributed methods
/// with a stable string; those names, not the compiler's mangled symbols, travel in frames, so
/// renaming a type or moving it to another module does not break a mixed-version cluster.
///
/// Each entry calls its method once with throwaway arguments: the system runs it against a
/// recording proxy to learn the compiler's identifier for that method, so the table is checked
/// by the type checker rather than spelled by hand.
///
/// ```swift
/// extension Echo: ClusterCallable {
///     static let wireMethods: [WireMethod<Echo>] = [
///         WireMethod("echo") { _ = try await $0.echo(0) },
///     ]
/// }
/// ```
package protocol ClusterCallable: DistributedActor where ActorSystem == ClusterSystem {
    static var wireMethods: [WireMethod<Self>] { get }
}

package struct WireMethod<Act: DistributedActor>: Sendable where Act.ActorSystem == ClusterSystem {
    package let name: String
    let sample: @Sendable (Act) async throws -> Void

    package init(_ name: String, sample: @escaping @Sendable (Act) async throws -> Void) {
        self.name = name
        self.sample = sample
    }
}

/// Set while a method table is being learnt; `remoteCall` stores the target and stops there.
final class TargetRecorder: Sendable {
    @TaskLocal static var current: TargetRecorder?
    let identifier = Mutex<String?>(nil)
}

struct RecordingStopped: Error {}

/// Stable names both ways, learnt per actor type on first use, plus the allowlist of types a
/// peer may name as generic substitutions (instantiating an arbitrary type named by the
/// network is how deserialization attacks start).
final class WireNames: Sendable {
    private struct State {
        var nameByIdentifier: [String: String] = [:]
        var identifierByName: [ObjectIdentifier: [String: String]] = [:]
        var typeByName: [String: any Any.Type] = [:]
        var nameByType: [ObjectIdentifier: String] = [:]
    }
    private let state = Mutex(State())

    init() {
        allow(Int.self, as: "Int")
        allow(String.self, as: "String")
        allow(Bool.self, as: "Bool")
        allow(Double.self, as: "Double")
        allow(UInt64.self, as: "UInt64")
        allow([Int].self, as: "[Int]")
        allow([String].self, as: "[String]")
    }

    func allow(_ type: any Any.Type, as name: String) {
        state.withLock {
            $0.typeByName[name] = type
            $0.nameByType[ObjectIdentifier(type)] = name
        }
    }

    func substitutionName(for type: any Any.Type) -> String? {
        state.withLock { $0.nameByType[ObjectIdentifier(type)] }
    }

    func substitutionType(named name: String) -> (any Any.Type)? {
        state.withLock { $0.typeByName[name] }
    }

    func wireName(forIdentifier identifier: String) -> String? {
        state.withLock { $0.nameByIdentifier[identifier] }
    }

    func identifier(forName name: String, of type: any Any.Type) -> String?? {
        state.withLock { state -> String?? in
            guard let table = state.identifierByName[ObjectIdentifier(type)] else { return .none }
            return .some(table[name])
        }
    }

    func learn(type: any Any.Type, table: [String: String]) {
        state.withLock { state in
            state.identifierByName[ObjectIdentifier(type)] = table
            for (name, identifier) in table { state.nameByIdentifier[identifier] = name }
        }
    }
}

extension ClusterCallable {
    /// Runs every sample against a proxy whose calls are recorded, never sent.
    static func learnWireNames(using system: ClusterSystem) async throws -> [String: String] {
        let proxy = try Self.resolve(id: system.recordingProxyID, using: system)
        var table: [String: String] = [:]
        for method in wireMethods {
            let recorder = TargetRecorder()
            await TargetRecorder.$current.withValue(recorder) {
                _ = try? await method.sample(proxy)
            }
            guard let identifier = recorder.identifier.withLock({ $0 }) else {
                throw ClusterError.unregisteredMethod(
                    "\(Self.self).\(method.name): its sample made no distributed call")
            }
            precondition(table[method.name] == nil, "duplicate wire method name \(method.name) in \(Self.self)")
            table[method.name] = identifier
        }
        return table
    }
}
