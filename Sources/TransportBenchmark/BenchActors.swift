import ClusterSystem
import Distributed
import Foundation

/// About 4 KB binary-encoded: the size of a typical agent result crossing the cluster.
public struct BenchPayload: Codable, Sendable {
    public struct Row: Codable, Sendable {
        var provider: String
        var instanceType: String
        var region: String
        var gpus: Int
        var hourlyUSD: Double
        var note: String?
    }
    var id: String
    var rows: [Row]
    var labels: [String: String]

    static func make(rows: Int) -> BenchPayload {
        BenchPayload(
            id: "bench-assessment",
            rows: (0..<rows).map {
                Row(
                    provider: ["aws", "azure", "gcp"][$0 % 3], instanceType: "p5.48xlarge-\($0)",
                    region: "eu-west-\($0 % 4)", gpus: 8, hourlyUSD: 98.32 + Double($0),
                    note: $0 % 3 == 0 ? "spot" : nil)
            },
            labels: ["catalog": "2026-11", "engine": "1"])
    }
}

/// Carries a value as a JSON string, so that the same transport can be measured with
/// Foundation's JSON coders instead of the binary codec.
public struct JSONCoded<Value: Codable & Sendable>: Codable, Sendable {
    var value: Value

    init(_ value: Value) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        value = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
    }
}

distributed actor BenchEcho: ClusterCallable {
    typealias ActorSystem = ClusterSystem

    distributed func echo(_ value: Int) -> Int { value }
    distributed func rows(_ payload: BenchPayload) -> Int { payload.rows.count }
    distributed func rowsJSON(_ payload: JSONCoded<BenchPayload>) -> Int { payload.value.rows.count }

    static let wireMethods: [WireMethod<BenchEcho>] = [
        WireMethod("echo") { _ = try await $0.echo(0) },
        WireMethod("rows") { _ = try await $0.rows(.make(rows: 0)) },
        WireMethod("rowsJSON") { _ = try await $0.rowsJSON(JSONCoded(.make(rows: 0))) },
    ]
}

/// Issues calls from the client node's event loop, the way an actor pinned to that loop
/// would: the write and the resumption after the reply then need no thread hop.
actor LoopCaller {
    nonisolated let unownedExecutor: UnownedSerialExecutor

    init(executor: any SerialExecutor) {
        self.unownedExecutor = executor.asUnownedSerialExecutor()
    }

    func sequentialEcho(_ remote: BenchEcho, count: Int) async throws -> [UInt64] {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(count)
        for i in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await remote.echo(i)
            latencies.append(DispatchTime.now().uptimeNanoseconds - start)
        }
        return latencies
    }
}
