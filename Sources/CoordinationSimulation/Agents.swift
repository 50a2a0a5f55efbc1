import Coordination
import FoundationEssentials
import Storage

/// Deterministic stand-ins for the eleven agents: each output is a digest of (request, agent,
/// inputs), so a task run twice gives the same result and the expected report of every request is
/// known without running the cluster at all.
enum SimAgents {
    static let analysts = (1...10).map { "analyst-\($0)" }
    static let final = "report"

    static func settings() -> CoordinationSettings {
        CoordinationSettings(analysts: analysts, finalAgent: final)
    }

    /// What an agent returns for `request` given the final agent's `inputs` (empty for analysts).
    static func output(request: Data, agent: String, inputs: [Data]) -> (digest: Data, payload: Data) {
        var hash = Hash64()
        hash.add(request)
        hash.add(Data(agent.utf8))
        for input in inputs { hash.add(input) }
        let payload = Data("\(agent):\(String(hash.value, radix: 16))".utf8)
        var digest = Hash64()
        digest.add(payload)
        return (withUnsafeBytes(of: digest.value.bigEndian) { Data($0) }, payload)
    }

    /// The report a fault-free run produces for `request`.
    static func expectedReport(request: Data) -> Data {
        let inputs = analysts.map { output(request: request, agent: $0, inputs: []).payload }
        return output(request: request, agent: final, inputs: inputs).payload
    }

    /// How many of an agent's first attempts throw, when the seed injects agent errors: mostly none,
    /// sometimes one or two (retried, then it succeeds), rarely all three (the assessment fails).
    static func throwingAttempts(id: String, agent: String, seed: UInt64) -> Int {
        var hash = Hash64()
        hash.add(Data("\(seed)/\(id)/\(agent)".utf8))
        switch hash.value % 200 {
        case 0: return 3
        case 1..<4: return 2
        case 4..<12: return 1
        default: return 0
        }
    }
}

/// FNV-1a, 64 bits: stable across processes, unlike `Hasher`.
struct Hash64 {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ data: Data) {
        for byte in data { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        value = (value ^ 0xFF) &* 0x0000_0100_0000_01B3
    }
}
