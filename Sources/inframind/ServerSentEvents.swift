/// Splits a `text/event-stream` into events as bytes arrive: chunks may end anywhere, even inside a
/// line, so what has no terminating blank line yet is kept for the next chunk.
struct ServerSentEvents: Sendable {
    struct Event: Sendable, Equatable {
        var name: String
        var data: String
    }

    private var pending = ""
    private var name = "message"
    private var data: [String] = []

    mutating func feed(_ text: String) -> [Event] {
        pending += text
        var events: [Event] = []
        while let newline = pending.firstIndex(of: "\n") {
            var line = String(pending[..<newline])
            pending.removeSubrange(...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty { events.append(Event(name: name, data: data.joined(separator: "\n"))) }
                name = "message"
                data = []
            } else if line.hasPrefix(":") {
                continue  // a comment: the server's heartbeat
            } else {
                let (field, value) = Self.split(line)
                switch field {
                case "event": name = value
                case "data": data.append(value)
                default: continue
                }
            }
        }
        return events
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.hasPrefix(" ") { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
