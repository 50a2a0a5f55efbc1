/// Splits a `text/event-stream` into events as bytes arrive: chunks may end anywhere, even inside a
/// line or a UTF-8 character, so bytes without a terminating newline yet are kept for the next chunk.
/// Works on bytes because Swift strings treat "\r\n" as one character, which would hide the newline.
struct ServerSentEvents: Sendable {
    struct Event: Sendable, Equatable {
        var name: String
        var data: String
    }

    private var pending: [UInt8] = []
    private var name = "message"
    private var data: [String] = []

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var end = newline
            if end > start && pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = String(decoding: pending[start..<end], as: UTF8.self)
            start = newline + 1
            if line.isEmpty {
                if !data.isEmpty { events.append(Event(name: name, data: data.joined(separator: "\n"))) }
                name = "message"
                data = []
            } else if !line.hasPrefix(":") {  // a line starting with a colon is a comment: the heartbeat
                let (field, value) = Self.split(line)
                if field == "event" { name = value }
                if field == "data" { data.append(value) }
            }
        }
        pending.removeFirst(start)
        return events
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.hasPrefix(" ") { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
