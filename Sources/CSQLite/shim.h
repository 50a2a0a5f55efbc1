// The system's SQLite (Debian's libsqlite3-dev), linked directly: see Storage/SQLiteConnection.swift
// for why not through a wrapper library.
#include <sqlite3.h>
