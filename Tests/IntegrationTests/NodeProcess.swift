import Foundation
import Synchronization

/// A real `inframind node` process for multi-process tests. Whatever happens in the test,
/// `stop()` (called by `ProcessGroup`) kills it by PID and reaps it.
final class NodeProcess: @unchecked Sendable {
    let name: String
    let port: Int
    let logPath: String
    private let process = Process()

    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["INFRAMIND_BIN"] { return URL(fileURLWithPath: path) }
        // The test bundle is built next to the executable.
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("inframind")
    }

    /// `arguments` go after the common flags (e.g. `--http-port`, `--data-dir`, `--token`).
    init(
        name: String, port: Int, certs: String, logDirectory: String, seeds: [String] = [], arguments: [String] = []
    ) throws {
        self.name = name
        self.port = port
        self.logPath = logDirectory + "/\(name).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = Self.executable
        // Every node serves HTTP and keeps a store: unless the test chose them, an ephemeral HTTP port
        // (two nodes of one test must not both take the default) and a data directory beside the log.
        var defaults: [String] = []
        if !arguments.contains("--http-port") { defaults += ["--http-port", "0"] }
        if !arguments.contains("--data-dir") { defaults += ["--data-dir", logDirectory + "/\(name)-data"] }
        process.arguments =
            ["node", "--name", name, "--port", "\(port)", "--certs", certs, "--log-level", "debug"]
            + seeds.flatMap { ["--seed", $0] } + defaults + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func waitUntilReady(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains("ready") { return true }
            if !process.isRunning { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func signal(_ number: Int32) { kill(pid, number) }

    func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Owns every process a test starts and stops them all, pass or fail.
final class ProcessGroup: @unchecked Sendable {
    private var processes: [NodeProcess] = []
    private let lock = NSLock()

    func start(_ make: () throws -> NodeProcess) rethrows -> NodeProcess {
        let process = try make()
        lock.withLock { processes.append(process) }
        return process
    }

    func stopAll() {
        for process in lock.withLock({ processes }) { process.stop() }
    }

    deinit { stopAll() }
}

/// A port that was free a moment ago, below the kernel's ephemeral range (32768 and up by default),
/// so that no connection another test opens meanwhile can take it as its local port before the node
/// binds it; never the same one twice in this process (tests run concurrently in it).
func freePort() throws -> Int {
    for _ in 0..<1000 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        if canBind(port) { return port }
    }
    throw POSIXError(.EADDRINUSE)
}

private let handedOut = Mutex<Set<Int>>([])

private func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
