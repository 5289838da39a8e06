"""Writes the SQLite audit triggers of migration 000006 (up.sql / down.sql) from the
column lists of migrations 000001-000005, so that each trigger's json_object lists the
columns in table order (what `audit verify` recomputes). Kept for the next audited
table or column: run `python3 server/store/src/audit/gen_sqlite_triggers.py OUT_DIR` from the
repository root and copy the parts you need into a new migration.
SPEC must match AUDITED in server/store/src/audit/mod.rs."""
import sqlite3, glob, sys, os
OUT = sys.argv[1] if len(sys.argv) > 1 else "."
SPEC = [
 ("orgs", ["id"], []),
 ("accounts", ["id"], ["password_hash"]),
 ("season_rules", ["season"], []),
 ("growers", ["id"], ["id_number"]),
 ("plots", ["id"], []),
 ("trace_units", ["id"], ["legal_id_number"]),
 ("unit_plots", ["id"], []),
 ("unit_reviews", ["id"], []),
 ("tickets", ["id"], []),
 ("ticket_plots", ["ticket_id", "plot_id"], []),
 ("trace_cards", ["id"], []),
 ("print_records", ["id"], []),
 ("production_lines", ["id"], ["device_key"]),
 ("card_exports", ["id"], []),
 ("line_states", ["line_id"], []),
 ("line_records", ["id"], []),
 ("bales", ["id"], []),
 ("enterprise_verifiers", ["enterprise_id"], ["password_hash"]),
 ("inspections", ["id"], []),
]
db = sqlite3.connect(":memory:")
for f in sorted(glob.glob("migrations/sqlite/*-00000[1-5]_*/up.sql")):
    db.executescript(open(f).read())

HEAD = """-- Tamper-evident audit trail (issue 10 item 4): every change of an audited table
-- appends, in the same transaction, a row to the hash chain `audit_log`.
--   hash = hex(SHA-256(prev_hash|chain|seq|at|tbl|op|row_key|row_json)), the first
--   prev_hash of a chain is 64 zeros.
-- SQLite twin of migrations/postgres: AFTER row triggers written out per table (the
-- row snapshot is json_object over the columns in table order, secrets and ID
-- numbers as their SHA-256); `audit_hash` and `audit_sha256` are application-defined
-- functions the server registers on every connection (server/store/src/audit/mod.rs).
-- Writes are serialised by the single writer connection: one chain (chain 0),
-- seq = last seq + 1. (PostgreSQL appends to one of 16 chains.)
-- `cotton-trace audit verify` (server/store/src/audit/) checks the chain and the current rows.
CREATE TABLE audit_log (
    chain      INTEGER NOT NULL CHECK (chain = 0),
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    tbl        TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('INSERT','UPDATE','DELETE')),
    row_key    TEXT NOT NULL,
    row_json   TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);

-- Append-only: the application never updates or deletes log rows.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END;
"""
out = [HEAD]
for tbl, keys, red in SPEC:
    cols = [r[1] for r in db.execute(f"select * from pragma_table_info('{tbl}')")]
    assert all(k in cols for k in keys + red), tbl
    for op, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        j = ", ".join(
            f"'{c}', audit_sha256({ref}.{c})" if c in red else f"'{c}', {ref}.{c}" for c in cols)
        k = " || ',' || ".join(f"CAST({ref}.{c} AS TEXT)" for c in keys)
        out.append(f"""CREATE TRIGGER audit_{tbl}_{op.lower()} AFTER {op} ON {tbl}
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, '{tbl}', '{op}', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, '{tbl}', '{op}', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '{'0'*64}') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 {k} AS k,
                 json_object({j}) AS j) AS n;
END;
""")
out.append("-- Rows that existed before this migration get one baseline UPDATE entry each.")
for tbl, keys, red in SPEC:
    kc = keys[0]
    out.append(f"UPDATE {tbl} SET {kc} = {kc};")
open(os.path.join(OUT, "sqlite_up.sql"), "w").write("\n".join(out) + "\n")

down = ["DROP TRIGGER IF EXISTS audit_log_no_update;", "DROP TRIGGER IF EXISTS audit_log_no_delete;"]
for tbl, _, _ in SPEC:
    for op in ("insert", "update", "delete"):
        down.append(f"DROP TRIGGER IF EXISTS audit_{tbl}_{op};")
down.append("DROP TABLE IF EXISTS audit_log;")
open(os.path.join(OUT, "sqlite_down.sql"), "w").write("\n".join(down) + "\n")

# postgres trigger statements
pg = []
for tbl, keys, red in SPEC:
    args = f"'{','.join(keys)}'" + (f", '{','.join(red)}'" if red else "")
    pg.append(f"CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON {tbl}\n    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append({args});")
pgb = [f"UPDATE {t} SET {k[0]} = {k[0]};" for t, k, _ in SPEC]
open(os.path.join(OUT, "pg_triggers.sql"), "w").write("\n".join(pg) + "\n\n-- Rows that existed before this migration get one baseline UPDATE entry each.\n" + "\n".join(pgb) + "\n")
pgd = [f"DROP TRIGGER IF EXISTS audit ON {t};" for t, _, _ in SPEC]
open(os.path.join(OUT, "pg_down.sql"), "w").write("\n".join(pgd) + "\n")
