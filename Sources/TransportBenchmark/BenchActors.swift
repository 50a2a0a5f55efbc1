import ClusterSystem
import Distributed
import FoundationEssentials
import NIOCore
import Wire

/// About 4 KB binary-encoded: the size of a typical agent result crossing the cluster.
package struct BenchPayload: Codable, Sendable {
    package struct Row: Codable, Sendable {
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
package struct JSONCoded<Value: Codable & Sendable>: Codable, Sendable {
    var value: Value

    init(_ value: Value) { self.value = value }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        value = try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
    }
}

/// The same payload with a hand-written positional encoding (`WireCodable`).
package struct WireBenchPayload: WireCodable, Sendable {
    var payload: BenchPayload

    init(payload: BenchPayload) { self.payload = payload }

    package init(wire buffer: inout ByteBuffer) throws {
        let id = try buffer.readWireString()
        var rows: [BenchPayload.Row] = []
        let count = try buffer.readWireCount()
        rows.reserveCapacity(count)
        for _ in 0..<count {
            rows.append(
                BenchPayload.Row(
                    provider: try buffer.readWireString(), instanceType: try buffer.readWireString(),
                    region: try buffer.readWireString(), gpus: try buffer.readWireInt(),
                    hourlyUSD: try buffer.readWireDouble(), note: try buffer.readWireOptionalString()))
        }
        var labels: [String: String] = [:]
        for _ in 0..<(try buffer.readWireCount()) { labels[try buffer.readWireString()] = try buffer.readWireString() }
        payload = BenchPayload(id: id, rows: rows, labels: labels)
    }

    package func write(wire buffer: inout ByteBuffer) {
        buffer.writeWire(payload.id)
        buffer.writeWireCount(payload.rows.count)
        for row in payload.rows {
            buffer.writeWire(row.provider)
            buffer.writeWire(row.instanceType)
            buffer.writeWire(row.region)
            buffer.writeWire(row.gpus)
            buffer.writeWire(row.hourlyUSD)
            buffer.writeWire(row.note)
        }
        buffer.writeWireCount(payload.labels.count)
        for (key, value) in payload.labels {
            buffer.writeWire(key)
            buffer.writeWire(value)
        }
    }
}

distributed actor BenchEcho: ClusterCallable {
    typealias ActorSystem = ClusterSystem

    distributed func echo(_ value: Int) -> Int { value }
    distributed func rows(_ payload: BenchPayload) -> Int { payload.rows.count }
    distributed func rowsJSON(_ payload: JSONCoded<BenchPayload>) -> Int { payload.value.rows.count }
    distributed func rowsWire(_ payload: WireBenchPayload) -> Int { payload.payload.rows.count }

    static let wireMethods: [WireMethod<BenchEcho>] = [
        WireMethod("echo") { _ = try await $0.echo(0) },
        WireMethod("rows") { _ = try await $0.rows(.make(rows: 0)) },
        WireMethod("rowsJSON") { _ = try await $0.rowsJSON(JSONCoded(.make(rows: 0))) },
        WireMethod("rowsWire") { _ = try await $0.rowsWire(WireBenchPayload(payload: .make(rows: 0))) },
    ]
}

extension TransportBench {
    /// The ~4 KB payload of figure (d), for codec micro-measurements.
    package static func samplePayload() -> BenchPayload { .make(rows: 40) }
}
