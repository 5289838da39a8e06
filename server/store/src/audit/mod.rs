//! Tamper-evident audit trail (issue 10 item 4).
//!
//! Every change of an audited table appends, in the same transaction, one row to
//! the hash chain `audit_log`; database triggers write it (migration 000006), so no
//! code path can change an audited table without a log row. Each entry is
//!
//! ```text
//! chain | seq | at | tbl | op (INSERT/UPDATE/DELETE) | row_key | row_json | prev_hash | hash
//! hash = hex(SHA-256(prev_hash "|" chain "|" seq "|" at "|" tbl "|" op "|" row_key "|" row_json))
//! ```
//!
//! with `prev_hash` of a chain's entry 1 = 64 zeros. SQLite has one chain (0);
//! PostgreSQL 16 (0–15), so that 16 transactions can commit at once; each chain
//! is gapless and in commit order. `row_json` is the row after the change
//! (before it, for DELETE), with the [`Audited::redact`] columns replaced by the hex
//! SHA-256 of their value. [`verify`] walks the chain and compares each audited
//! table's current rows with their latest snapshot.

pub mod definitions;
pub mod verify;

use diesel::sqlite::SqliteConnection;
use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audited table: its key columns and the columns logged as their SHA-256.
#[derive(Debug, Clone, Copy)]
pub struct Audited {
    pub table: &'static str,
    pub key: &'static [&'static str],
    pub redact: &'static [&'static str],
}

const fn t(table: &'static str, key: &'static [&'static str], redact: &'static [&'static str]) -> Audited {
    Audited { table, key, redact }
}

/// The audited tables, exactly those the migration puts triggers on. Not audited:
/// `refresh_tokens`, `login_attempts`, `sms_codes` (session and throttling state,
/// hashes of one-time secrets) and `app_meta` (holds the platform signing key).
pub const AUDITED: &[Audited] = &[
    t("orgs", &["id"], &[]),
    t("accounts", &["id"], &["password_hash"]),
    t("season_rules", &["season"], &[]),
    t("growers", &["id"], &["id_number"]),
    t("plots", &["id"], &[]),
    t("trace_units", &["id"], &["legal_id_number"]),
    t("unit_plots", &["id"], &[]),
    t("unit_reviews", &["id"], &[]),
    t("tickets", &["id"], &[]),
    t("ticket_plots", &["ticket_id", "plot_id"], &[]),
    t("trace_cards", &["id"], &[]),
    t("print_records", &["id"], &[]),
    t("production_lines", &["id"], &["device_key"]),
    t("card_exports", &["id"], &[]),
    t("line_states", &["line_id"], &[]),
    t("line_records", &["id"], &[]),
    t("bales", &["id"], &[]),
    t("enterprise_verifiers", &["enterprise_id"], &["password_hash"]),
    t("enterprise_printers", &["enterprise_id"], &[]),
    t("inspections", &["id"], &[]),
];

/// Tables whose INSERTs PostgreSQL logs with a statement-level trigger
/// (`audit_inserts`, migration 000008: one INSERT into the log per statement for
/// the multi-row INSERTs of upload files); their UPDATEs and DELETEs, and every
/// other table, keep the deferred row trigger `audit`. The entries are the same.
pub const BULK_INSERT_AUDITED: &[&str] = &["bales", "line_records"];

/// The hash of one chain entry (the same on both backends: the PostgreSQL trigger
/// computes it with `sha256()`, SQLite's triggers call [`register_sqlite_functions`]'s
/// `audit_hash`, which is this function).
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(prev: &str, chain: i32, seq: i64, at: &str, tbl: &str, op: &str, key: &str, json: &str) -> String {
    let mut h = Sha256::new();
    for (i, part) in [prev, &chain.to_string(), &seq.to_string(), at, tbl, op, key, json].iter().enumerate() {
        if i > 0 {
            h.update(b"|");
        }
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Hex SHA-256 of a text (redacted columns).
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

diesel::define_sql_function! {
    /// The chain hash of an audit entry (SQLite triggers).
    fn audit_hash(
        prev: diesel::sql_types::Text,
        chain: diesel::sql_types::Integer,
        seq: diesel::sql_types::BigInt,
        at: diesel::sql_types::Text,
        tbl: diesel::sql_types::Text,
        op: diesel::sql_types::Text,
        key: diesel::sql_types::Text,
        json: diesel::sql_types::Text
    ) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// Hex SHA-256 of a value, NULL stays NULL (redacted columns in SQLite snapshots).
    fn audit_sha256(v: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Registers `audit_hash` and `audit_sha256` on a SQLite connection. Every
/// connection that may write an audited table needs them (the triggers call them:
/// a connection without them, e.g. the `sqlite3` shell, cannot change those tables).
pub fn register_sqlite_functions(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    audit_hash_utils::register_impl(
        conn,
        |prev: String, chain: i32, seq: i64, at: String, tbl: String, op: String, key: String, json: String| {
            entry_hash(&prev, chain, seq, &at, &tbl, &op, &key, &json)
        },
    )?;
    audit_sha256_utils::register_impl(conn, |v: Option<String>| v.map(|v| sha256_hex(&v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_hash_is_sha256_of_the_canonical_string() {
        let h = entry_hash(GENESIS, 3, 1, "2026-01-01T00:00:00.000Z", "orgs", "INSERT", "1", "{\"id\":1}");
        let canon = format!("{GENESIS}|3|1|2026-01-01T00:00:00.000Z|orgs|INSERT|1|{{\"id\":1}}");
        assert_eq!(h, sha256_hex(&canon));
        assert_ne!(h, entry_hash(GENESIS, 3, 2, "2026-01-01T00:00:00.000Z", "orgs", "INSERT", "1", "{\"id\":1}"));
    }
}
