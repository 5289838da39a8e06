//! The local SQLite database of the workshop PC.
//!
//! WAL journal, `synchronous=FULL`: a committed transaction survives a power cut
//! or `kill -9`; an uncommitted one leaves no trace. Every accepted operation is
//! one transaction holding the journal record(s), the bale, the cards it changed
//! and the line state (see `device.rs`).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- The season rules of the export: standards (R0, Z0) for conditioned weights,
-- and the cards one scan may carry (NULL: the manual's 10 / 20).
CREATE TABLE IF NOT EXISTS standards (
    season      INTEGER PRIMARY KEY,
    moisture_pct TEXT NOT NULL,
    trash_pct    TEXT NOT NULL,
    cards_per_scan_iv_v INTEGER,
    cards_per_scan_vi   INTEGER
);
-- The cards imported from the platform, with what the line did to them.
CREATE TABLE IF NOT EXISTS cards (
    card_no           TEXT PRIMARY KEY,
    ticket_no         TEXT NOT NULL,
    grower_name       TEXT NOT NULL,
    unit_id           TEXT NOT NULL,
    unit_name         TEXT NOT NULL,
    target_kg         TEXT NOT NULL,
    processable_bales INTEGER NOT NULL,
    module_type       TEXT NOT NULL,
    module_count      INTEGER NOT NULL,
    processed_kg      TEXT NOT NULL DEFAULT '0',
    -- AUTO: reached its target (never re-processed); MANUAL: 结束; NULL: open.
    finished_by       TEXT CHECK (finished_by IN ('AUTO', 'MANUAL')),
    imported_at       TEXT NOT NULL
);
-- The one line state (queue, tracing) and the last journal sequence number.
CREATE TABLE IF NOT EXISTS line_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    state    TEXT NOT NULL,
    last_seq INTEGER NOT NULL
);
-- Every accepted operation, as the processing record the upload file carries.
CREATE TABLE IF NOT EXISTS journal (
    seq    INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    kind   TEXT NOT NULL,
    record TEXT NOT NULL
);
-- Every pressed bale, once: the barcode is unique.
CREATE TABLE IF NOT EXISTS bales (
    barcode        TEXT PRIMARY KEY,
    seq            INTEGER NOT NULL UNIQUE REFERENCES journal (seq),
    card_no        TEXT REFERENCES cards (card_no),
    net_kg         TEXT NOT NULL,
    moisture_pct   TEXT,
    conditioned_kg TEXT NOT NULL,
    delay          INTEGER NOT NULL CHECK (delay IN (0, 1))
);
CREATE INDEX IF NOT EXISTS bales_card ON bales (card_no);
CREATE TABLE IF NOT EXISTS imports (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    cards       INTEGER NOT NULL,
    new_cards   INTEGER NOT NULL
);
"#;

/// Opens (creating if needed) the database with WAL and `synchronous=FULL`.
pub fn open(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open(path).map_err(|e| format!("无法打开本机数据库 {}：{e}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("本机数据库无法使用WAL日志模式（{mode}）"));
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;").map_err(err)?;
    conn.execute_batch(SCHEMA).map_err(err)?;
    upgrade(&conn)?;
    Ok(conn)
}

/// Brings a database written by an earlier version to [`SCHEMA`] (a workshop PC
/// keeps its database across updates), in one transaction.
fn upgrade(conn: &Connection) -> Result<(), String> {
    let has = |table: &str, column: &str| -> Result<bool, String> {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = ?1"), [column], |r| r.get(0))
            .map_err(err)?;
        Ok(n > 0)
    };
    let mut steps = String::new();
    if has("cards", "finished")? && !has("cards", "finished_by")? {
        // Before issue 15 a card was only "finished": at its target it finished by
        // itself, else it was ended by hand.
        steps.push_str(
            "ALTER TABLE cards ADD COLUMN finished_by TEXT CHECK (finished_by IN ('AUTO', 'MANUAL'));
             UPDATE cards SET finished_by = CASE WHEN CAST(processed_kg AS REAL) >= CAST(target_kg AS REAL) THEN 'AUTO' ELSE 'MANUAL' END
             WHERE finished = 1;
             ALTER TABLE cards DROP COLUMN finished;",
        );
    }
    if !has("standards", "cards_per_scan_iv_v")? {
        steps.push_str("ALTER TABLE standards ADD COLUMN cards_per_scan_iv_v INTEGER; ALTER TABLE standards ADD COLUMN cards_per_scan_vi INTEGER;");
    }
    if !steps.is_empty() {
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {steps} COMMIT;")).map_err(err)?;
    }
    Ok(())
}

pub fn err(e: impl std::fmt::Display) -> String {
    format!("本机数据库错误：{e}")
}

pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>, String> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(err)
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), String> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map_err(err)?;
    Ok(())
}

pub fn delete_meta(conn: &Connection, key: &str) -> Result<(), String> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [key]).map_err(err)?;
    Ok(())
}
