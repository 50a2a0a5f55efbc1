/// RFC 4180 CSV, enough for the shipped catalog files: quoted fields may hold commas,
/// doubled quotes and line breaks. Returns rows as header-keyed dictionaries.
enum CSV {
    struct Failure: Error, CustomStringConvertible {
        let file: String
        let line: Int
        let reason: String
        var description: String { "\(file):\(line): \(reason)" }
    }

    static func parse(_ text: String, file: String) throws(Failure) -> [[String: String]] {
        var records: [[String]] = []
        var field = ""
        var record: [String] = []
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending {
                pending = nil
                return p
            }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = n
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: quoted = true
            case ",":
                record.append(field)
                field = ""
            case "\r": continue
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if quoted { throw Failure(file: file, line: records.count + 1, reason: "unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        guard let header = records.first else { throw Failure(file: file, line: 1, reason: "empty file") }
        var rows: [[String: String]] = []
        for (offset, values) in records.dropFirst().enumerated() {
            guard values.count == header.count else {
                throw Failure(
                    file: file, line: offset + 2, reason: "expected \(header.count) fields, found \(values.count)")
            }
            rows.append(Dictionary(uniqueKeysWithValues: zip(header, values)))
        }
        return rows
    }
}
