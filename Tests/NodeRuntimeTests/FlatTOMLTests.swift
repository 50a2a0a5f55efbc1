import Foundation
import NodeConfigFormat
import Testing

/// The TOML a node's config file may hold, and what it refuses (with the line).
@Suite struct FlatTOMLTests {
    @Test func readsTheValuesAConfigUses() throws {
        let table = try FlatTOML.parse(
            """
            # comment line
            name = "node-1"   # after a value
            'quoted key' = 'C:\\no\\escapes'
            "basic key" = "tab\\there \\"quoted\\" \\u00e9 \\U0001F600"
            port = 7_101
            negative = -3
            on = true
            off = false
            seeds = [
                "a@127.0.0.1:7101",  # first
                "b@127.0.0.1:7102",
            ]
            empty = []
            """)
        #expect(
            table.map(\.key) == [
                "name", "quoted key", "basic key", "port", "negative", "on", "off", "seeds", "empty",
            ])
        let values = Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) })
        #expect(values["name"] == .string("node-1"))
        #expect(values["quoted key"] == .string("C:\\no\\escapes"))
        #expect(values["basic key"] == .string("tab\there \"quoted\" é 😀"))
        #expect(values["port"] == .integer(7101))
        #expect(values["negative"] == .integer(-3))
        #expect(values["on"] == .boolean(true) && values["off"] == .boolean(false))
        #expect(values["seeds"] == .array([.string("a@127.0.0.1:7101"), .string("b@127.0.0.1:7102")]))
        #expect(values["empty"] == .array([]))
    }

    @Test func aByteOrderMarkAndWindowsLineEndsAreRead() throws {
        let table = try FlatTOML.parse("\u{FEFF}name = \"x\"\r\nport = 1_000\r\n")
        #expect(table.map(\.key) == ["name", "port"])
        #expect(table.last?.value == .integer(1000))
    }

    @Test func itsJSONDecodesToTheSameValues() throws {
        struct Decoded: Decodable, Equatable {
            let text: String
            let number: Int
            let list: [String]
        }
        let table = try FlatTOML.parse("text = \"a\\\\b \\\"c\\\" \\n\\u0001\"\nnumber = 42\nlist = [\"x\", 'y']\n")
        let decoded = try JSONDecoder().decode(Decoded.self, from: FlatTOML.json(table))
        #expect(decoded == Decoded(text: "a\\b \"c\" \n\u{1}", number: 42, list: ["x", "y"]))
    }

    @Test(arguments: [
        ("name = \"x\"\n[cluster]\nport = 1\n", 2, "tables"),
        ("a.b = 1\n", 1, "dotted keys"),
        ("name = \"x\"\nname = \"y\"\n", 2, "given twice"),
        ("name = \"open\n", 1, "end of its line"),
        ("name = \n", 1, "expected a value"),
        ("name = x\n", 1, "not a value"),
        ("name = \"x\" trailing\n", 1, "after the value"),
        ("seeds = [\"a\" \"b\"]\n", 1, "expected , or ]"),
        ("text = \"\\q\"\n", 1, "unknown escape"),
        ("when = 2024-01-01\n", 1, "not a decimal integer"),
        ("\n\n\nx = \"\"\"\nlong\n\"\"\"\n", 4, "multi-line"),
        ("inline = { a = 1 }\n", 1, "inline tables"),
        ("= 1\n", 1, "expected a key"),
        ("port = 7100.0\n", 1, "fraction"),
        ("port = 1e999\n", 1, "fraction"),
        ("port = 007\n", 1, "not a decimal integer"),
        ("port = 1__0\n", 1, "not a decimal integer"),
        ("port = 10_\n", 1, "not a decimal integer"),
        ("port = _10\n", 1, "not a value"),
        ("port = 99999999999999999999\n", 1, "out of range"),
        ("a = 1\nname = \"x\\\ny\"\n", 2, "end of its line"),
    ])
    func refusesWhatItDoesNotReadWithItsLine(text: String, line: Int, words: String) {
        #expect {
            try FlatTOML.parse(text)
        } throws: { error in
            guard let error = error as? FlatTOML.SyntaxError else { return false }
            return error.line == line && error.message.contains(words)
        }
    }

    // The limits (FlatTOML.Limits, docs/fuzzing.md): each refused with its own message and line, and a
    // file at a limit still read. Arrays are read by recursion: without the depth limit a long enough
    // `[[[[…` overflows the stack.

    static func refusal(_ text: String, limits: FlatTOML.Limits = .standard) -> FlatTOML.SyntaxError? {
        do {
            _ = try FlatTOML.parse(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func nestedArraysStopAtTheDepthLimitInsteadOfOverflowingTheStack() throws {
        let depth = FlatTOML.Limits.standard.maxArrayDepth
        let atLimit = "a = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        #expect(try FlatTOML.parse(atLimit).count == 1)
        let error = try #require(Self.refusal("a = 1\nb = " + String(repeating: "[", count: depth + 1)))
        #expect(error.line == 2 && error.message.contains("nest more than \(depth) deep"))
        // A million levels, one per line so that no line is long: far past any stack.
        let deep = try #require(Self.refusal("a = " + String(repeating: "[\n", count: 1_000_000)))
        #expect(deep.line == depth + 1 && deep.message.contains("nest more than"))
    }

    @Test func aLineLongerThanTheLimitIsRefusedWithItsLine() throws {
        var limits = FlatTOML.Limits()
        limits.maxLineLength = 20
        #expect(try FlatTOML.parse("name = \"0123456789a\"\n", limits: limits).count == 1)
        let error = try #require(Self.refusal("a = 1\n\nname = \"0123456789ab\"\n", limits: limits))
        #expect(error.line == 3 && error.message.contains("longer than 20 characters"))
        // The standard limit, and a comment counts: a line is refused before anything reads it.
        let long = "# " + String(repeating: "x", count: FlatTOML.Limits.standard.maxLineLength) + "\n"
        #expect(Self.refusal(long)?.message.contains("longer than") == true)
    }

    @Test func moreKeysThanTheLimitAreRefused() throws {
        var limits = FlatTOML.Limits()
        limits.maxKeys = 3
        #expect(try FlatTOML.parse("a = 1\nb = 2\nc = 3\n", limits: limits).count == 3)
        let error = try #require(Self.refusal("a = 1\nb = 2\nc = 3\nd = 4\n", limits: limits))
        #expect(error.line == 4 && error.message.contains("more than 3 keys"))
        let many = (0...FlatTOML.Limits.standard.maxKeys).map { "k\($0) = \($0)\n" }.joined()
        #expect(Self.refusal(many)?.message.contains("more than \(FlatTOML.Limits.standard.maxKeys) keys") == true)
    }
}
