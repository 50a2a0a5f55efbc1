import Foundation
import Testing

@testable import Storage

/// The hand-written JSON of the structured columns against Foundation's encoder and decoder, on
/// seeded random values with every kind of character a name could hold.
@Suite struct StoredJSONTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet: [Character] = [
        "a", "Z", "0", "-", "_", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}",
        "\u{0C}", "\u{01}", "\u{1F}", "é", "ß", "€", "🙂", "\u{2028}", "日",
    ]

    static func string(_ random: inout Generator) -> String {
        String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    /// A wall-clock time in whole milliseconds (what the record keeps), 2001–2100.
    static func time(_ random: inout Generator) -> Date {
        Date(
            timeIntervalSince1970: Double(Int64.random(in: 978_307_200_000...4_102_444_800_000, using: &random)) / 1000)
    }

    static func progress(_ random: inout Generator) -> AssessmentProgress {
        let states: [AgentProgress.State] = [.waiting, .running, .succeeded, .failed]
        let agents = (0..<Int.random(in: 0...11, using: &random)).map { _ in
            AgentProgress(
                agent: string(&random), state: states.randomElement(using: &random)!,
                attempt: Int.random(in: 0...5, using: &random),
                node: Bool.random(using: &random) ? string(&random) : nil,
                startedAt: Bool.random(using: &random) ? time(&random) : nil,
                finishedAt: Bool.random(using: &random) ? time(&random) : nil)
        }
        return AssessmentProgress(
            percent: Int.random(in: 0...100, using: &random),
            currentStep: Bool.random(using: &random) ? string(&random) : nil, agents: agents)
    }

    static var foundation: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    @Test(arguments: 1...200 as ClosedRange<UInt64>)
    func progressIsWhatFoundationWritesAndReadsBack(seed: UInt64) throws {
        var random = Generator(state: seed)
        let value = Self.progress(&random)
        let text = StoredJSON.encode(value)
        #expect(text == String(decoding: try Self.foundation.encode(value), as: UTF8.self), "seed \(seed)")
        #expect(try JSONDecoder().decode(AssessmentProgress.self, from: Data(text.utf8)) == value, "seed \(seed)")
        #expect(StoredJSON.decodeProgress(text) == value, "seed \(seed): \(text)")
    }

    /// Progress read back directly when spelled as `encode` spells it, through `JSONDecoder` when
    /// spelled otherwise (escapes, spaces, another key order), and refused when it is not progress.
    @Test func progressReadsBackWhateverItsSpelling() throws {
        let value = AssessmentProgress(
            percent: 45, currentStep: "analysis",
            agents: [
                AgentProgress(
                    agent: "cto", state: .succeeded, attempt: 2, node: "node-2",
                    startedAt: Date(timeIntervalSince1970: 1_800_000_000.123),
                    finishedAt: Date(timeIntervalSince1970: 1_800_000_001.5)),
                AgentProgress(agent: "compliance", state: .waiting, attempt: 0),
            ])
        #expect(StoredJSON.decodeProgress(StoredJSON.encode(value)) == value)
        let empty = AssessmentProgress()
        #expect(StoredJSON.decodeProgress(StoredJSON.encode(empty)) == empty)
        let spaced =
            #"{ "percent": 45, "currentStep": "anal\u0079sis", "agents": [{"state": "waiting", "agent": "cto", "attempt": 0}] }"#
        #expect(
            StoredJSON.decodeProgress(spaced)
                == AssessmentProgress(
                    percent: 45, currentStep: "analysis",
                    agents: [AgentProgress(agent: "cto", state: .waiting, attempt: 0)]))
        for broken in [
            "", "{", "{\"agents\":[]}", "{\"agents\":[],\"percent\":}", "{\"agents\":[],\"percent\":1}x", "[]",
        ] {
            #expect(StoredJSON.decodeProgress(broken) == nil, "\(broken)")
        }
    }

    @Test(arguments: 1...100 as ClosedRange<UInt64>)
    func replicaSetsAreWhatFoundationWritesAndReadsBack(seed: UInt64) throws {
        var random = Generator(state: seed)
        let value = (0..<Int.random(in: 0...5, using: &random)).map { _ in Self.string(&random) }
        let text = StoredJSON.encode(value)
        #expect(text == String(decoding: try Self.foundation.encode(value), as: UTF8.self), "seed \(seed)")
        #expect(try JSONDecoder().decode([String].self, from: Data(text.utf8)) == value, "seed \(seed)")
        #expect(StoredJSON.decodeStrings(text) == value, "seed \(seed): \(text)")
    }

    @Test(arguments: 1...50 as ClosedRange<UInt64>)
    func leavingSetsAreWhatFoundationWritesAndReadsBack(seed: UInt64) throws {
        var random = Generator(state: seed)
        let value = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            (0..<Int.random(in: 0...4, using: &random)).map { _ in Self.string(&random) }
        }
        let text = StoredJSON.encode(value)
        #expect(text == String(decoding: try Self.foundation.encode(value), as: UTF8.self), "seed \(seed)")
        #expect(StoredJSON.decodeSets(text) == value, "seed \(seed): \(text)")
        #expect(StoredJSON.decodeSets("[[\"a\"],") == nil)
    }

    @Test func replicaSetsReadBackWhateverTheirSpelling() {
        #expect(StoredJSON.decodeStrings("[]") == [])
        #expect(StoredJSON.decodeStrings("[\"node-1\",\"node-2\"]") == ["node-1", "node-2"])
        // Valid JSON in another spelling goes the slow way and still reads.
        #expect(StoredJSON.decodeStrings(" [ \"a\" , \"b\\u0041\" ] ") == ["a", "bA"])
        #expect(StoredJSON.decodeStrings("[\"a\\\"b\"]") == ["a\"b"])
        for broken in ["", "[", "]", "[\"a\"", "[\"a\" \"b\"]", "[1]", "{}", "[\"a\"]x"] {
            #expect(StoredJSON.decodeStrings(broken) == nil, "\(broken)")
        }
    }
}
