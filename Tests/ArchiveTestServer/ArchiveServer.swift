import Foundation
import Synchronization

/// The MongoDB server an archive test talks to (shared by ArchiveTests and the multi-process
/// IntegrationTests, which is why it is a target of its own): a real MongoDB when `INFRAMIND_TEST_MONGODB_URI` is set,
/// otherwise an `nx-27017` (a MongoDB wire-protocol server backed by SQLite) this test starts on a
/// free loopback port and stops, pass or fail. `scripts/test` installs nx-27017 into a virtual
/// environment and names it in `INFRAMIND_NX27017`; it also sets `INFRAMIND_TEST_REQUIRE_ARCHIVE`,
/// so that there a missing server fails the suite instead of skipping it.
public final class ArchiveServer: @unchecked Sendable {
    public let uri: String
    /// A database of this test's own, dropped by `stop` on a shared MongoDB.
    public let database: String
    public let isNX: Bool
    public let port: Int
    private let directory: String?
    private let process = Mutex<Process?>(nil)

    public static var mongoURI: String? {
        ProcessInfo.processInfo.environment["INFRAMIND_TEST_MONGODB_URI"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The nx-27017 executable: `INFRAMIND_NX27017`, else the one scripts/test installs, else PATH.
    public static var nxExecutable: String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates = [environment["INFRAMIND_NX27017"], ".build/archive-venv/bin/nx-27017"].compactMap { $0 }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/nx-27017")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static var required: Bool { ProcessInfo.processInfo.environment["INFRAMIND_TEST_REQUIRE_ARCHIVE"] == "1" }

    /// Whether any server is within reach; without one (and outside scripts/test) the suites skip.
    public static var available: Bool { required || mongoURI != nil || nxExecutable != nil }

    private init(uri: String, database: String, isNX: Bool, port: Int, directory: String?) {
        self.uri = uri
        self.database = database
        self.isNX = isNX
        self.port = port
        self.directory = directory
    }

    public static func start() async throws -> ArchiveServer {
        let database = "inframind_test_\(UInt32.random(in: 0...UInt32.max))"
        if let uri = mongoURI {
            return ArchiveServer(uri: uri, database: database, isNX: false, port: 0, directory: nil)
        }
        guard let executable = nxExecutable else {
            throw ServerMissing(
                reason:
                    "no archive server: set INFRAMIND_TEST_MONGODB_URI, or install nx-27017 (scripts/test does: pip install nx-27017)"
            )
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "inframind-archive-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        let server = ArchiveServer(
            uri: "mongodb://127.0.0.1:\(port)/?serverSelectionTimeoutMS=2000&connectTimeoutMS=1000", database: database,
            isNX: true, port: port, directory: directory)
        server.executable = executable
        try await server.launch()
        return server
    }

    private var executable = ""

    /// Starts nx-27017 on this server's port and file (again, after `kill`).
    public func launch() async throws {
        guard isNX, let directory else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // Its log and pid file default to fixed paths in /tmp, shared by every instance: each gets its own.
        process.arguments = [
            "--db", "\(directory)/archive.db", "--host", "127.0.0.1", "-p", "\(port)",
            "--log-file", "\(directory)/nx.log", "--pid-file", "\(directory)/nx.pid",
        ]
        // What it prints before it listens is the reason it never did; kept in the test's directory.
        let consolePath = "\(directory)/nx.console"
        _ = FileManager.default.createFile(atPath: consolePath, contents: nil)
        let console = FileHandle(forWritingAtPath: consolePath)
        process.standardOutput = console
        process.standardError = console
        try process.run()
        self.process.withLock { $0 = process }
        // The port is tried after every sleep, deadline or not: a test process whose threads the
        // CPU-bound suites hold can wake from one 50 ms sleep long after the deadline, with the
        // server listening all along.
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if canConnect(port: port) { return }
            if !process.isRunning || ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let exited = !process.isRunning
        kill()
        let output = (try? String(contentsOfFile: consolePath, encoding: .utf8)) ?? ""
        let tail = output.split(separator: "\n").suffix(5).joined(separator: " | ")
        throw ServerMissing(
            reason: exited
                ? "nx-27017 exited before it listened on 127.0.0.1:\(port): \(tail)"
                : "nx-27017 did not listen on 127.0.0.1:\(port) within 30 s: \(tail)")
    }

    /// The archive going down: the nx-27017 process is killed (its file stays for `launch`).
    public func kill() {
        guard
            let process = process.withLock({ current -> Process? in
                defer { current = nil }
                return current
            })
        else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    public func stop() {
        kill()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    deinit { stop() }

    struct ServerMissing: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }
}

/// A loopback port that was free a moment ago, below the kernel's ephemeral range.
public func freeLoopbackPort() throws -> Int {
    for _ in 0..<1000 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
        if canBind(port: port) { return port }
    }
    throw POSIXError(.EADDRINUSE)
}

private let handedOutPorts = Mutex<Set<Int>>([])

private func loopback(_ port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}

private func canBind(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = loopback(port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

private func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = loopback(port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
