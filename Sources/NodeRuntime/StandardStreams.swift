import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Files and the standard streams as bytes, with errors in the system's words ("No such file or
/// directory"): `FileHandle` is Foundation's, and `Data(contentsOf:)`'s errors read badly without it.
package enum StandardStreams {
    package struct FileError: Error, CustomStringConvertible {
        package let description: String
    }

    /// The whole of `path`, or of standard input when `path` is "-".
    package static func read(_ path: String) throws(FileError) -> Data {
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

    /// The file as UTF-8 text; bytes that are not UTF-8 are an error, not replacement characters
    /// (a token read that way would never match).
    package static func readText(_ path: String) throws(FileError) -> String {
        guard let text = String(validating: try read(path), as: UTF8.self) else {
            throw FileError(description: "not UTF-8 text")
        }
        return text
    }

    /// Writes to standard output; a failure (a full disk behind a redirection) throws, so a cut-short
    /// report does not end with status 0. A reader that went away (EPIPE) is not a failure.
    package static func writeOutput(_ data: Data) throws(FileError) {
        try write(data, to: STDOUT_FILENO)
    }

    /// Writes to standard error, as well as it can: there is nowhere left to report its own failure.
    package static func writeError(_ text: String) {
        try? write(Data(text.utf8), to: STDERR_FILENO)
    }

    private static func write(_ data: Data, to fd: Int32) throws(FileError) {
        // What `print` left in stdio's buffer goes first, so lines come out in the order written.
        fflush(nil)
        let failure = data.withUnsafeBytes { bytes -> Int32? in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    switch errno {
                    case EINTR: continue
                    case EAGAIN:
                        // A descriptor a parent left non-blocking: wait until it takes more.
                        var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&ready, 1, -1)
                        continue
                    case EPIPE: return nil
                    default: return errno
                    }
                }
                offset += written
            }
            return nil
        }
        if let failure { throw FileError(description: String(cString: strerror(failure))) }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and newlines.
    package func trimmingWhitespace() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
