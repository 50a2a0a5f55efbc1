import CSQLite
import FoundationEssentials

/// One SQLite connection with a cache of prepared statements, used by one thread at a time (its
/// owner, `SQLiteDatabase`, guarantees that).
///
/// The store talks to SQLite's C API directly rather than through GRDB: GRDB imports the whole of
/// Foundation, whose libraries (with ICU) were 8 MB of every node's 47 MB of idle memory, and the
/// store needs only what is here — cached statements, four column types, transactions.
final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Preparing a statement (SQLite's parser and planner) cost more than running it on the
    /// replica write path, so each distinct SQL text is prepared once per connection.
    private var statements: [String: OpaquePointer] = [:]
    private var closed = false
    /// Kept alive here: SQLite holds only an unretained pointer to it.
    private var walObserver: WALObserver?

    init(path: String) throws(SQLiteError) {
        var handle: OpaquePointer?
        // NOMUTEX: the owner serializes use, so SQLite's own per-call locking is wasted work.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else { throw SQLiteError(code: code, message: "cannot open \(path): out of memory") }
        guard code == SQLITE_OK else {
            let error = SQLiteError(
                code: code, message: "cannot open \(path): " + String(cString: sqlite3_errmsg(handle)))
            sqlite3_close_v2(handle)
            throw error
        }
        self.handle = handle
        // A reader may meet a checkpoint or recovery in progress; wait for it rather than fail.
        sqlite3_busy_timeout(handle, 5000)
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL that has no parameters and whose rows are not needed (schema scripts, pragmas,
    /// transaction control); several statements may be separated by semicolons.
    func execute(_ sql: String) throws(SQLiteError) {
        try check(closed ? SQLITE_MISUSE : sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    /// Runs one statement with `arguments` bound to its `?`s, for its effect.
    func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws {
        try withStatement(sql, arguments) { statement in
            var code = sqlite3_step(statement)
            while code == SQLITE_ROW { code = sqlite3_step(statement) }
            try check(code, sql)
        }
    }

    /// Runs one statement and maps each row it returns.
    func query<T>(
        _ sql: String, _ arguments: [SQLiteValue] = [], _ map: (SQLiteRow) throws -> T
    ) throws -> [T] {
        try withStatement(sql, arguments) { statement in
            var rows: [T] = []
            while true {
                let code = sqlite3_step(statement)
                if code == SQLITE_DONE { return rows }
                guard code == SQLITE_ROW else { try check(code, sql); return rows }
                rows.append(try map(SQLiteRow(statement: statement)))
            }
        }
    }

    /// Calls `committed` with the write-ahead log's size in pages after every commit, in place of
    /// SQLite's automatic checkpoint (which runs inside the commit that crosses its threshold).
    func observeWAL(_ committed: @escaping @Sendable (Int) -> Void) {
        let observer = WALObserver(committed)
        walObserver = observer
        sqlite3_wal_hook(
            handle,
            { context, _, _, pages in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALObserver>.fromOpaque(context).takeUnretainedValue().committed(Int(pages))
                return SQLITE_OK
            }, Unmanaged.passUnretained(observer).toOpaque())
    }

    /// Copies what it can of the write-ahead log into the database file without waiting for
    /// readers or the writer (SQLite's PASSIVE checkpoint).
    func checkpointPassively() throws(SQLiteError) {
        try check(
            closed ? SQLITE_MISUSE : sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil),
            "checkpoint")
    }

    /// True inside a transaction: BEGIN was run and neither COMMIT nor ROLLBACK has ended it.
    var isInTransaction: Bool { !closed && sqlite3_get_autocommit(handle) == 0 }

    /// The rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// BEGIN IMMEDIATE … COMMIT around `body`, rolled back if it throws: the writer takes the
    /// write lock up front, so a transaction never fails half-way for want of it.
    func transaction<T>(immediate: Bool, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            // A failed COMMIT (a full disk) may leave the transaction open; ROLLBACK ends it either way,
            // and its own failure matters less than the error that got here (owners check
            // `isInTransaction` before using the connection again).
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func withStatement<T>(
        _ sql: String, _ arguments: [SQLiteValue], _ body: (OpaquePointer) throws -> T
    ) throws -> T {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        guard Int(sqlite3_bind_parameter_count(statement)) == arguments.count else {
            throw SQLiteError(
                code: SQLITE_RANGE,
                message:
                    "\(arguments.count) arguments for \(sqlite3_bind_parameter_count(statement)) parameters: \(sql)")
        }
        for (index, value) in arguments.enumerated() {
            try check(value.bind(to: statement, at: Int32(index + 1)), sql)
        }
        return try body(statement)
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        guard !closed else { throw SQLiteError.closed }
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), sql)
        guard let statement else { throw SQLiteError(code: SQLITE_MISUSE, message: "no statement in: \(sql)") }
        statements[sql] = statement
        return statement
    }

    private func check(_ code: Int32, _ sql: String) throws(SQLiteError) {
        guard code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW else { return }
        let message = closed ? "the database is closed" : String(cString: sqlite3_errmsg(handle))
        throw SQLiteError(code: code, message: "\(message) (in: \(sql.prefix(120)))")
    }
}

private final class WALObserver: Sendable {
    let committed: @Sendable (Int) -> Void
    init(_ committed: @escaping @Sendable (Int) -> Void) { self.committed = committed }
}

/// A value bound to a statement's parameter.
enum SQLiteValue: Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    static func optional(_ text: String?) -> SQLiteValue { text.map(SQLiteValue.text) ?? .null }
    static func optional(_ data: Data?) -> SQLiteValue { data.map(SQLiteValue.blob) ?? .null }
    static func integer(_ value: Int) -> SQLiteValue { .integer(Int64(value)) }

    fileprivate func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .null: return sqlite3_bind_null(statement, index)
        case .integer(let value): return sqlite3_bind_int64(statement, index, value)
        case .real(let value): return sqlite3_bind_double(statement, index, value)
        case .text(let value):
            // The length in bytes, not -1 (up to the first NUL): a text holding U+0000 is bound whole.
            return sqlite3_bind_text(statement, index, value, Int32(value.utf8.count), sqliteTransient)
        case .blob(let value):
            return value.withUnsafeBytes { bytes in
                // A zero-length blob still binds as a blob (not NULL) when given a non-nil pointer.
                sqlite3_bind_blob(
                    statement, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count),
                    sqliteTransient)
            }
        }
    }
}

/// SQLite copies the bound bytes before the call returns (its `SQLITE_TRANSIENT`, a C macro Swift
/// does not import).
private let sqliteTransient = unsafeBitCast(Int(-1), to: sqlite3_destructor_type.self)

/// The current row of a statement, valid only inside the `query` callback that received it.
struct SQLiteRow {
    fileprivate let statement: OpaquePointer

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    func blob(_ column: Int32) -> Data {
        // Text stored in a BLOB column reads back as its bytes, as a blob read would give them.
        guard let bytes = sqlite3_column_blob(statement, column) else { return Data() }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }

    func optionalBlob(_ column: Int32) -> Data? { isNull(column) ? nil : blob(column) }
}

/// An error SQLite reported, with its (extended) result code.
struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    /// The primary result code (`SQLITE_FULL`, …) of an extended one.
    var primaryCode: Int32 { code & 0xff }

    /// Any use of a connection or database after `close()`.
    static let closed = SQLiteError(code: SQLITE_MISUSE, message: "the database is closed")

    /// The disk (or `max_page_count`) is full: the store reports it as `StoreError.storageFull`.
    var isFull: Bool { primaryCode == SQLITE_FULL }
    var description: String { "SQLite error \(code): \(message)" }
}
