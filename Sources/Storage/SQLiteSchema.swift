/// The schema, as ordered migrations: a node restarted on a newer binary upgrades its file in place,
/// and a migration once shipped is never edited (add a new one instead).
enum SQLiteSchema {
    static var migrator: SQLiteMigrator {
        var migrator = SQLiteMigrator()
        // Times are REAL seconds since the reference date: exactly what `Date` holds, so records
        // read back equal to what was written and the listing order is the caller's order.
        migrator.register(
            "v1: assessments and agent results",
            sql: """
                CREATE TABLE assessment (
                    id TEXT PRIMARY KEY NOT NULL,
                    status TEXT NOT NULL,
                    epoch INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    replica_set TEXT NOT NULL,
                    request BLOB NOT NULL,
                    report BLOB,
                    progress TEXT NOT NULL,
                    failure TEXT,
                    idempotency_key TEXT UNIQUE,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX assessment_newest ON assessment(created_at DESC, id DESC);
                CREATE INDEX assessment_status_newest ON assessment(status, created_at DESC, id DESC);
                CREATE INDEX assessment_expiry ON assessment(updated_at);
                CREATE TABLE agent_result (
                    assessment_id TEXT NOT NULL REFERENCES assessment(id) ON DELETE CASCADE,
                    agent TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    digest BLOB NOT NULL,
                    payload BLOB NOT NULL,
                    node TEXT NOT NULL,
                    recorded_at REAL NOT NULL,
                    PRIMARY KEY (assessment_id, agent)
                );
                """)
        // The replica sets a move leaves (`AssessmentRecord.leaving`), kept with the record so that a
        // node restarted in the middle of a move still claims from the sets it leaves.
        migrator.register(
            "v2: the replica sets a move leaves",
            sql: "ALTER TABLE assessment ADD COLUMN leaving TEXT NOT NULL DEFAULT '[]'")
        // Final states waiting for the archive (docs/archive.md): written in the transaction that
        // stores the final state, removed once the archive holds that version. No foreign key: an
        // entry outlives neither its record (retention skips records with one) nor the archive write.
        migrator.register(
            "v3: the archive queue",
            sql: """
                CREATE TABLE archive_queue (
                    id TEXT PRIMARY KEY NOT NULL,
                    epoch INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    owner TEXT NOT NULL,
                    queued_at REAL NOT NULL
                );
                CREATE INDEX archive_queue_oldest ON archive_queue(queued_at);
                """)
        // The tenant that submitted the assessment (docs/security.md): set on create, replicated with
        // the record, never updated.
        migrator.register("v4: the submitting tenant", sql: "ALTER TABLE assessment ADD COLUMN tenant TEXT")
        // The request's title, set on create like the tenant: status reads and listings show it
        // without reading the request (`AssessmentSummary`). Records stored before it hold their
        // request as JSON, which gives it its title here, so an upgraded node's listings keep them.
        migrator.register(
            "v5: the request's title",
            sql: """
                ALTER TABLE assessment ADD COLUMN title TEXT;
                UPDATE assessment SET title = json_extract(CAST(request AS TEXT), '$.title')
                WHERE json_valid(CAST(request AS TEXT)) AND json_type(CAST(request AS TEXT), '$.title') = 'text';
                """)
        return migrator
    }
}
