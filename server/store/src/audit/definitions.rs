//! The audit machinery's own definitions, checked by `audit verify` (issue 16):
//! a trigger replaced by a do-nothing one of the same name (or an audit function
//! whose body was swapped) would otherwise pass until the application next wrote
//! that table.
//!
//! Each definition — on PostgreSQL every `audit…` function's source
//! (`pg_proc.prosrc`) and every trigger on an audited table or the log
//! (`pg_get_triggerdef`); on SQLite every trigger's `CREATE TRIGGER` text — is
//! hashed (SHA-256) and compared with `expected.txt`, the hashes a freshly
//! migrated database has. A differing hash and a trigger the migrations do not
//! create are both reported.
//!
//! After a migration that changes an audit trigger or function, regenerate the
//! file from fresh databases of both backends:
//!
//! ```sh
//! cotton-trace audit definitions --database-url sqlite:///tmp/fresh.db  >  server/store/src/audit/expected.txt
//! cotton-trace audit definitions --database-url postgres://…/fresh     >> server/store/src/audit/expected.txt
//! ```
//! (`tests/api/audit.rs` fails when the file and a fresh database differ.)

use std::collections::BTreeMap;

use diesel::sql_types::Text;
use sha2::{Digest, Sha256};

use super::{AUDITED, BULK_INSERT_AUDITED};
use super::verify::{Problem, ProblemKind};
use crate::DbPool;

/// `backend name sha256` per line, as `audit definitions` prints them.
const EXPECTED: &str = include_str!("expected.txt");

#[derive(diesel::QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    body: String,
}

fn backend(db: &DbPool) -> &'static str {
    match db {
        DbPool::Postgres { .. } => "postgres",
        DbPool::Sqlite { .. } => "sqlite",
    }
}

/// The live definitions of this database: name → SHA-256 of the definition text.
pub async fn live(db: &DbPool) -> anyhow::Result<BTreeMap<String, String>> {
    let sql = match db {
        DbPool::Postgres { .. } => {
            let tables: Vec<String> = AUDITED
                .iter()
                .map(|a| a.table)
                .chain(BULK_INSERT_AUDITED.iter().copied())
                .chain(["audit_log"])
                .map(|t| format!("'{t}'"))
                .collect();
            format!(
                "SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, p.prosrc AS body \
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                 WHERE n.nspname = current_schema() AND p.proname LIKE 'audit%' \
                 UNION ALL \
                 SELECT 'trigger ' || c.relname || '.' || t.tgname AS name, pg_get_triggerdef(t.oid) AS body \
                 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND c.relname IN ({})",
                tables.join(", ")
            )
        }
        DbPool::Sqlite { .. } => "SELECT 'trigger ' || name AS name, sql AS body FROM sqlite_master WHERE type = 'trigger'".to_string(),
    };
    let mut conn = db.read().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let rows: Vec<Definition> = db_run!(conn: { diesel::sql_query(&sql).load(conn).await })?;
    Ok(rows.into_iter().map(|d| (d.name, hex::encode(Sha256::digest(d.body.as_bytes())))).collect())
}

/// `expected.txt`'s entries for this database's backend.
fn expected(db: &DbPool) -> BTreeMap<String, String> {
    let prefix = format!("{} ", backend(db));
    EXPECTED
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix)?.rsplit_once(' '))
        .map(|(name, hash)| (name.to_string(), hash.to_string()))
        .collect()
}

/// The lines `audit definitions` prints (and `expected.txt` holds).
pub async fn lines(db: &DbPool) -> anyhow::Result<String> {
    let b = backend(db);
    Ok(live(db).await?.into_iter().map(|(name, hash)| format!("{b} {name} {hash}\n")).collect())
}

/// A definition that differs from the migrations', or one they never create.
/// (A missing or disabled trigger is reported by name by `verify`.)
pub async fn check(db: &DbPool) -> anyhow::Result<Vec<Problem>> {
    let live = live(db).await?;
    let expected = expected(db);
    let problem = |name: &str, message: String| Problem {
        kind: ProblemKind::Trigger,
        chain: None,
        seq: None,
        table: name.split_once(' ').map(|(_, n)| n.split(['.', '(']).next().unwrap_or(n)).unwrap_or(name).to_string(),
        key: name.to_string(),
        message,
    };
    let mut out = Vec::new();
    for (name, hash) in &live {
        match expected.get(name) {
            Some(want) if want == hash => {}
            Some(_) => out.push(problem(name, format!("{name} 的定义与迁移所建不符：审计触发器或函数被替换或修改"))),
            None => out.push(problem(name, format!("{name} 不是迁移所建：审计表上多出的触发器或函数"))),
        }
    }
    Ok(out)
}
