//! `cotton-trace audit verify`: walks the hash chain, recomputes every hash, and
//! compares each audited table's current rows with their latest snapshot.

use std::collections::{HashMap, HashSet};

use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AUDITED, Audited, GENESIS, entry_hash};
use crate::DbPool;
use crate::prelude::*;
use crate::schema::audit_log;

/// What kind of problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProblemKind {
    /// An entry's stored hash is not the hash of its content: the entry was edited.
    Edited,
    /// Entries are missing before this one (seq gap): they were deleted.
    Deleted,
    /// The entry does not link to the previous one (prev_hash): it was inserted
    /// (or the chain was rewritten from here on).
    Inserted,
    /// A current row differs from its latest snapshot: changed behind the log.
    RowChanged,
    /// The latest snapshot says the row exists, but it does not: deleted behind the log.
    RowMissing,
    /// A current row has no live snapshot: inserted behind the log.
    RowUnlogged,
    /// An audited table has no (enabled) audit trigger, or an audit trigger or
    /// function differs from what the migrations created (or was added).
    Trigger,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The chain entry concerned (for row problems: the latest snapshot, if any).
    pub chain: Option<i32>,
    pub seq: Option<i64>,
    pub table: String,
    pub key: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Head {
    pub chain: i32,
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub entries: u64,
    /// The last entry of each chain: record them elsewhere to detect a rewrite
    /// of a chain's tail.
    pub heads: Vec<Head>,
    /// Rows of the audited tables checked against their snapshots.
    pub rows: u64,
    pub problems: Vec<Problem>,
}

impl Report {
    /// One line per problem, or the one-line OK summary.
    pub fn text(&self) -> String {
        if self.problems.is_empty() {
            return format!(
                "审计链完整：OK，{} 条记录（{} 条链），{} 行当前数据与最新快照一致",
                self.entries,
                self.heads.len(),
                self.rows
            );
        }
        let mut out = format!("审计链校验失败：{} 个问题（共 {} 条记录）\n", self.problems.len(), self.entries);
        for p in &self.problems {
            let seq = match (p.chain, p.seq) {
                (Some(c), Some(s)) => format!("chain={c} seq={s} "),
                _ => String::new(),
            };
            out.push_str(&format!("{:?} {seq}表={} 键={}：{}\n", p.kind, p.table, p.key, p.message));
        }
        out
    }
}

#[derive(diesel::Queryable)]
struct Entry {
    chain: i32,
    seq: i64,
    at: String,
    tbl: String,
    op: String,
    row_key: String,
    row_json: String,
    prev_hash: String,
    hash: String,
}

#[derive(diesel::QueryableByName)]
struct CurrentRow {
    #[diesel(sql_type = BigInt)]
    k1: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    k2: Option<i64>,
    #[diesel(sql_type = Text)]
    j: String,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The latest snapshot of one row. Entries of one row may lie in different
/// chains (PostgreSQL); the later one has the later `at` (it was appended after
/// the earlier one's transaction committed).
struct Latest {
    at: String,
    chain: i32,
    seq: i64,
    deleted: bool,
    digest: [u8; 32],
}

const PAGE: i64 = 5_000;


fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Checks the whole chain and every audited row.
pub async fn verify(db: &DbPool) -> anyhow::Result<Report> {
    let mut problems = Vec::new();
    let mut latest: HashMap<(String, String), Latest> = HashMap::new();

    // 1. The chains, in (chain, seq) order.
    let mut entries = 0u64;
    let mut heads: Vec<Head> = Vec::new();
    let mut cursor: (i32, i64) = (-1, 0);
    let mut expected = 1i64;
    let mut prev_hash = GENESIS.to_string();
    loop {
        let mut conn = db.read().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let (c0, s0) = cursor;
        let page: Vec<Entry> = db_run!(conn: {
            audit_log::table
                .filter(audit_log::chain.gt(c0).or(audit_log::chain.eq(c0).and(audit_log::seq.gt(s0))))
                .order((audit_log::chain, audit_log::seq))
                .limit(PAGE)
                .load(conn)
                .await
        })?;
        if page.is_empty() {
            break;
        }
        for e in page {
            entries += 1;
            if heads.last().is_none_or(|h| h.chain != e.chain) {
                expected = 1;
                prev_hash = GENESIS.to_string();
            }
            let at = |kind, message: String| Problem {
                kind,
                chain: Some(e.chain),
                seq: Some(e.seq),
                table: e.tbl.clone(),
                key: e.row_key.clone(),
                message,
            };
            if e.seq != expected {
                problems.push(at(
                    ProblemKind::Deleted,
                    if e.seq == expected + 1 {
                        format!("链 {} 第 {expected} 条记录缺失（被删除）", e.chain)
                    } else {
                        format!("链 {} 第 {expected}–{} 条记录缺失（被删除）", e.chain, e.seq - 1)
                    },
                ));
            } else if e.prev_hash != prev_hash {
                problems.push(at(
                    ProblemKind::Inserted,
                    format!("prev_hash 与第 {} 条记录的哈希不符（此处被插入了记录，或其后的链被改写）", e.seq - 1),
                ));
            }
            let recomputed = entry_hash(&e.prev_hash, e.chain, e.seq, &e.at, &e.tbl, &e.op, &e.row_key, &e.row_json);
            if recomputed != e.hash {
                problems.push(at(ProblemKind::Edited, "记录内容与其哈希不符（记录被修改）".into()));
            }
            let newer = Latest { at: e.at.clone(), chain: e.chain, seq: e.seq, deleted: e.op == "DELETE", digest: digest(&e.row_json) };
            let key = (e.tbl.clone(), e.row_key.clone());
            match latest.get(&key) {
                Some(l) if (&l.at, l.chain, l.seq) >= (&newer.at, newer.chain, newer.seq) => {}
                _ => {
                    latest.insert(key, newer);
                }
            }
            expected = e.seq + 1;
            prev_hash = e.hash.clone();
            cursor = (e.chain, e.seq);
            match heads.last_mut() {
                Some(h) if h.chain == e.chain => {
                    h.seq = e.seq;
                    h.hash = e.hash;
                }
                _ => heads.push(Head { chain: e.chain, seq: e.seq, hash: e.hash }),
            }
        }
    }

    // 2. The triggers.
    problems.extend(check_triggers(db).await?);
    problems.extend(super::definitions::check(db).await?);

    // 3. The current rows against their latest snapshots.
    let mut rows = 0u64;
    for a in AUDITED {
        let mut seen: HashSet<String> = HashSet::new();
        let mut after: Option<(i64, Option<i64>)> = None;
        loop {
            let sql = current_rows_sql(db, a, after).await?;
            let mut conn = db.read().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let page: Vec<CurrentRow> = db_run!(conn: { diesel::sql_query(&sql).load(conn).await })?;
            let Some(last) = page.last() else { break };
            after = Some((last.k1, last.k2));
            for r in &page {
                rows += 1;
                let key = match r.k2 {
                    Some(k2) => format!("{},{k2}", r.k1),
                    None => r.k1.to_string(),
                };
                match latest.get(&(a.table.to_string(), key.clone())) {
                    Some(l) if !l.deleted && l.digest == digest(&r.j) => {}
                    Some(l) if !l.deleted => problems.push(Problem {
                        kind: ProblemKind::RowChanged,
                        chain: Some(l.chain),
                        seq: Some(l.seq),
                        table: a.table.into(),
                        key: key.clone(),
                        message: format!("当前数据与最新审计快照（链 {} 第 {} 条）不一致：在审计之外被修改", l.chain, l.seq),
                    }),
                    Some(l) => problems.push(Problem {
                        kind: ProblemKind::RowUnlogged,
                        chain: Some(l.chain),
                        seq: Some(l.seq),
                        table: a.table.into(),
                        key: key.clone(),
                        message: format!("审计记录（链 {} 第 {} 条）已删除此行，但它仍然存在：在审计之外被插入", l.chain, l.seq),
                    }),
                    None => problems.push(Problem {
                        kind: ProblemKind::RowUnlogged,
                        chain: None,
                        seq: None,
                        table: a.table.into(),
                        key: key.clone(),
                        message: "此行没有审计记录：在审计之外被插入".into(),
                    }),
                }
                seen.insert(key);
            }
            if (page.len() as i64) < PAGE {
                break;
            }
        }
        let mut missing: Vec<(&String, &Latest)> = latest
            .iter()
            .filter(|((tbl, key), l)| tbl == a.table && !l.deleted && !seen.contains(key))
            .map(|((_, key), l)| (key, l))
            .collect();
        missing.sort_by_key(|(_, l)| (l.chain, l.seq));
        for (key, l) in missing {
            problems.push(Problem {
                kind: ProblemKind::RowMissing,
                chain: Some(l.chain),
                seq: Some(l.seq),
                table: a.table.into(),
                key: key.clone(),
                message: format!("最新审计快照（链 {} 第 {} 条）中存在的行已不存在：在审计之外被删除", l.chain, l.seq),
            });
        }
    }

    Ok(Report { ok: problems.is_empty(), entries, heads, rows, problems })
}

/// One page of a table's rows in key order: the key columns and the snapshot
/// text computed exactly as the triggers compute it.
async fn current_rows_sql(db: &DbPool, a: &Audited, after: Option<(i64, Option<i64>)>) -> anyhow::Result<String> {
    let k1 = a.key[0];
    let k2 = a.key.get(1).copied();
    let k2_sel = match k2 {
        Some(c) => format!("CAST({c} AS BIGINT)"),
        None => "CAST(NULL AS BIGINT)".into(),
    };
    let cond = match (after, k2) {
        (None, _) => String::new(),
        (Some((v1, Some(v2))), Some(c2)) => format!("WHERE ({k1}, {c2}) > ({v1}, {v2})"),
        (Some((v1, _)), _) => format!("WHERE {k1} > {v1}"),
    };
    let order = match k2 {
        Some(c2) => format!("{k1}, {c2}"),
        None => k1.to_string(),
    };
    let json = match db {
        DbPool::Postgres { .. } => {
            let redact = a.redact.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
            format!("audit_row_json(to_jsonb(t), ARRAY[{redact}]::text[])")
        }
        DbPool::Sqlite { .. } => {
            // The triggers list the columns in table order (migration 000006).
            let mut conn = db.read().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let sql = format!("SELECT name FROM pragma_table_info('{}') ORDER BY cid", a.table);
            let cols: Vec<Name> = db_run!(conn: { diesel::sql_query(&sql).load(conn).await })?;
            let parts = cols
                .iter()
                .map(|c| {
                    if a.redact.contains(&c.name.as_str()) {
                        format!("'{0}', audit_sha256(t.{0})", c.name)
                    } else {
                        format!("'{0}', t.{0}", c.name)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("json_object({parts})")
        }
    };
    Ok(format!(
        "SELECT CAST({k1} AS BIGINT) AS k1, {k2_sel} AS k2, {json} AS j FROM {tbl} t {cond} ORDER BY {order} LIMIT {PAGE}",
        tbl = a.table
    ))
}

/// Every audited table has its (enabled) audit triggers, and the log its guards.
async fn check_triggers(db: &DbPool) -> anyhow::Result<Vec<Problem>> {
    let mut conn = db.read().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (sql, expected): (&str, Vec<(String, String)>) = match db {
        DbPool::Postgres { .. } => (
            "SELECT c.relname || ':' || t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             WHERE t.tgname LIKE 'audit%' AND t.tgenabled <> 'D'",
            AUDITED
                .iter()
                .map(|a| (a.table.to_string(), format!("{}:audit", a.table)))
                .chain(super::BULK_INSERT_AUDITED.iter().map(|t| (t.to_string(), format!("{t}:audit_inserts"))))
                .chain([
                    ("audit_log".to_string(), "audit_log:audit_log_append_only".to_string()),
                    ("audit_log".to_string(), "audit_log:audit_log_no_truncate".to_string()),
                ])
                .collect(),
        ),
        DbPool::Sqlite { .. } => (
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit%'",
            AUDITED
                .iter()
                .flat_map(|a| {
                    ["insert", "update", "delete"].map(|op| (a.table.to_string(), format!("audit_{}_{op}", a.table)))
                })
                .chain([
                    ("audit_log".to_string(), "audit_log_no_update".to_string()),
                    ("audit_log".to_string(), "audit_log_no_delete".to_string()),
                ])
                .collect(),
        ),
    };
    let names: Vec<Name> = db_run!(conn: { diesel::sql_query(sql).load(conn).await })?;
    let present: HashSet<String> = names.into_iter().map(|n| n.name).collect();
    Ok(expected
        .into_iter()
        .filter(|(_, trigger)| !present.contains(trigger))
        .map(|(table, trigger)| Problem {
            kind: ProblemKind::Trigger,
            chain: None,
            seq: None,
            table,
            key: String::new(),
            message: format!("审计触发器 {trigger} 缺失或已停用"),
        })
        .collect())
}
