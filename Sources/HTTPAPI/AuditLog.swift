import FoundationEssentials
import Glibc
import Hummingbird
import Logging
import Synchronization

/// One line of the audit log (docs/security.md, "Audit log"). Never holds a token: the token is
/// named by its label or its SHA-256 fingerprint.
package struct AuditEntry: Encodable, Sendable, Hashable {
    package var time: String
    package var node: String
    package var tenant: String?
    package var token: String?
    package var method: String
    package var route: String
    package var assessmentID: String?
    /// `accepted`, `duplicate`, `cancelled`, `unauthorized`, `forbidden`, `not_found`, `invalid`, …
    package var outcome: String
    package var status: Int

    package init(
        time: String, node: String, tenant: String?, token: String?, method: String, route: String,
        assessmentID: String?, outcome: String, status: Int
    ) {
        self.time = time
        self.node = node
        self.tenant = tenant
        self.token = token
        self.method = method
        self.route = route
        self.assessmentID = assessmentID
        self.outcome = outcome
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case time, node, tenant, token, method, route, outcome, status
        case assessmentID = "assessment_id"
    }

    // Absent values are written as null so every line has the same keys.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(time, forKey: .time)
        try container.encode(node, forKey: .node)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(token, forKey: .token)
        try container.encode(method, forKey: .method)
        try container.encode(route, forKey: .route)
        try container.encode(assessmentID, forKey: .assessmentID)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(status, forKey: .status)
    }
}

/// Where audit lines go: appended to a file by one background writer, which writes whatever queued
/// while it was busy in one `write` and one `fsync`, and rotates the file by size (`path.1` newest,
/// up to `keep` old files). A request never waits for the disk; `shutdown` writes what is queued.
package final class AuditLog: Sendable {
    package struct Settings: Sendable, Hashable {
        package var path: String
        package var maxBytes: Int
        package var keep: Int

        package init(path: String, maxBytes: Int = 64 << 20, keep: Int = 5) {
            self.path = path
            self.maxBytes = maxBytes
            self.keep = keep
        }
    }

    package struct OpenError: Error, CustomStringConvertible {
        package var description: String
    }

    private let settings: Settings
    private let node: String
    private let pending: AuditQueue
    private let wake: AsyncStream<Void>.Continuation
    private let writer: Task<Void, Never>
    private let logger: Logger

    /// Opens (creating, mode 0600) the file at once, so a path that cannot be written stops the node at start.
    package init(_ settings: Settings, node: String, logger: Logger) throws(OpenError) {
        let fd = try Self.open(settings.path)
        self.settings = settings
        self.node = node
        self.logger = logger
        let (signals, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        let pending = AuditQueue()
        self.pending = pending
        writer = Task { [settings, logger] in
            var file = AuditFile(fd: fd, settings: settings, logger: logger)
            for await _ in signals {
                let batch = pending.lines.withLock { lines in
                    defer { lines.removeAll(keepingCapacity: true) }
                    return lines
                }
                file.append(batch)
            }
            file.append(pending.lines.withLock { $0 })
            file.close()
        }
    }

    package func record(_ entry: AuditEntry) {
        var line = JSONResponse.encode(entry)
        line.append(0x0A)
        pending.lines.withLock { $0.append(line) }
        wake.yield()
    }

    /// Writes and syncs everything recorded so far, then stops the writer.
    package func shutdown() async {
        wake.finish()
        await writer.value
    }

    func record(
        _ request: Request, context: some RequestContext, caller: Caller?, id: String? = nil, tenant: String? = nil,
        outcome: String, status: HTTPResponse.Status
    ) {
        record(
            AuditEntry(
                time: APIDate.format(Date()), node: node, tenant: tenant ?? caller?.tenant, token: caller?.auditName,
                method: request.method.rawValue, route: context.endpointPath ?? request.uri.path, assessmentID: id,
                outcome: outcome, status: status.code))
    }

    func refused(_ request: Request, context: some RequestContext, caller: Caller?, outcome: String) {
        let status: HTTPResponse.Status = outcome == "forbidden" ? .forbidden : .unauthorized
        record(request, context: context, caller: caller, outcome: outcome, status: status)
    }

    static func open(_ path: String) throws(OpenError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OpenError(description: "cannot open the audit log \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }
}

/// Lines recorded and not yet written.
private final class AuditQueue: Sendable {
    let lines = Mutex<[Data]>([])
}

/// The writer's side: the open file, its size, rotation.
private struct AuditFile {
    var fd: Int32
    let settings: AuditLog.Settings
    let logger: Logger
    var size: Int

    init(fd: Int32, settings: AuditLog.Settings, logger: Logger) {
        self.fd = fd
        self.settings = settings
        self.logger = logger
        var status = stat()
        size = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
    }

    mutating func append(_ lines: [Data]) {
        guard !lines.isEmpty, fd >= 0 else { return }
        var bytes = Data()
        for line in lines { bytes.append(line) }
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let result = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += result
            }
            return true
        }
        if !written || fsync(fd) != 0 {
            logger.error(
                "audit log write failed",
                metadata: ["path": "\(settings.path)", "error": "\(String(cString: strerror(errno)))"])
        }
        size += bytes.count
        if size >= settings.maxBytes { rotate() }
    }

    /// `path` becomes `path.1`, `path.1` becomes `path.2`, … and the oldest beyond `keep` is removed.
    mutating func rotate() {
        Glibc.close(fd)
        let path = settings.path
        if settings.keep > 0 {
            unlink("\(path).\(settings.keep)")
            for index in stride(from: settings.keep - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, "\(path).1")
        } else {
            unlink(path)
        }
        do {
            fd = try AuditLog.open(path)
        } catch {
            logger.error("audit log cannot be reopened after rotation", metadata: ["error": "\(error)"])
            fd = -1
        }
        size = 0
    }

    mutating func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
