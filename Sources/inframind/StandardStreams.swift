import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Files and the standard streams as bytes, with errors in the system's words ("No such file or
/// directory"): `FileHandle` is Foundation's, and `Data(contentsOf:)`'s errors read badly without it.
enum StandardStreams {
    struct FileError: Error, CustomStringConvertible {
        let description: String
    }

    /// The whole of `path`, or of standard input when `path` is "-".
    static func read(_ path: String) throws(FileError) -> Data {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(description: String(cString: strerror(errno))) }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return data }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(description: String(cString: strerror(errno)))
            }
            data.append(contentsOf: chunk[..<count])
        }
    }

    static func readText(_ path: String) throws(FileError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    static func writeOutput(_ data: Data) { write(data, to: STDOUT_FILENO) }
    static func writeError(_ text: String) { write(Data(text.utf8), to: STDERR_FILENO) }

    private static func write(_ data: Data, to fd: Int32) {
        // What `print` left in stdio's buffer goes first, so lines come out in the order written.
        fflush(nil)
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a closed pipe: nobody is reading, nothing to tell
                }
                offset += written
            }
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
