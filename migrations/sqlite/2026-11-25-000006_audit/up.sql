-- Tamper-evident audit trail (issue 10 item 4): every change of an audited table
-- appends, in the same transaction, a row to the hash chain `audit_log`.
--   hash = hex(SHA-256(prev_hash|chain|seq|at|tbl|op|row_key|row_json)), the first
--   prev_hash of a chain is 64 zeros.
-- SQLite twin of migrations/postgres: AFTER row triggers written out per table (the
-- row snapshot is json_object over the columns in table order, secrets and ID
-- numbers as their SHA-256); `audit_hash` and `audit_sha256` are application-defined
-- functions the server registers on every connection (server/src/audit/mod.rs).
-- Writes are serialised by the single writer connection: one chain (chain 0),
-- seq = last seq + 1. (PostgreSQL appends to one of 16 chains.)
-- `cotton-trace audit verify` (server/src/audit/) checks the chain and the current rows.
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

CREATE TRIGGER audit_orgs_insert AFTER INSERT ON orgs
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'orgs', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'orgs', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'kind', NEW.kind, 'code', NEW.code, 'name', NEW.name, 'parent_id', NEW.parent_id, 'regiment_id', NEW.regiment_id, 'created_at', NEW.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_orgs_update AFTER UPDATE ON orgs
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'orgs', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'orgs', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'kind', NEW.kind, 'code', NEW.code, 'name', NEW.name, 'parent_id', NEW.parent_id, 'regiment_id', NEW.regiment_id, 'created_at', NEW.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_orgs_delete AFTER DELETE ON orgs
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'orgs', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'orgs', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'kind', OLD.kind, 'code', OLD.code, 'name', OLD.name, 'parent_id', OLD.parent_id, 'regiment_id', OLD.regiment_id, 'created_at', OLD.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_accounts_insert AFTER INSERT ON accounts
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'accounts', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'accounts', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'username', NEW.username, 'password_hash', audit_sha256(NEW.password_hash), 'role', NEW.role, 'org_id', NEW.org_id, 'phone', NEW.phone, 'display_name', NEW.display_name, 'created_at', NEW.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_accounts_update AFTER UPDATE ON accounts
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'accounts', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'accounts', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'username', NEW.username, 'password_hash', audit_sha256(NEW.password_hash), 'role', NEW.role, 'org_id', NEW.org_id, 'phone', NEW.phone, 'display_name', NEW.display_name, 'created_at', NEW.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_accounts_delete AFTER DELETE ON accounts
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'accounts', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'accounts', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'username', OLD.username, 'password_hash', audit_sha256(OLD.password_hash), 'role', OLD.role, 'org_id', OLD.org_id, 'phone', OLD.phone, 'display_name', OLD.display_name, 'created_at', OLD.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_season_rules_insert AFTER INSERT ON season_rules
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'season_rules', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'season_rules', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.season AS TEXT) AS k,
                 json_object('season', NEW.season, 'min_unit_area_mu', NEW.min_unit_area_mu, 'realtime_window_minutes', NEW.realtime_window_minutes, 'premium_min_length_mm', NEW.premium_min_length_mm, 'premium_min_strength', NEW.premium_min_strength, 'premium_mic_min', NEW.premium_mic_min, 'premium_mic_max', NEW.premium_mic_max, 'standard_moisture_pct', NEW.standard_moisture_pct, 'standard_trash_pct', NEW.standard_trash_pct, 'nominal_bale_kg', NEW.nominal_bale_kg, 'updated_at', NEW.updated_at, 'updated_by', NEW.updated_by) AS j) AS n;
END;

CREATE TRIGGER audit_season_rules_update AFTER UPDATE ON season_rules
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'season_rules', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'season_rules', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.season AS TEXT) AS k,
                 json_object('season', NEW.season, 'min_unit_area_mu', NEW.min_unit_area_mu, 'realtime_window_minutes', NEW.realtime_window_minutes, 'premium_min_length_mm', NEW.premium_min_length_mm, 'premium_min_strength', NEW.premium_min_strength, 'premium_mic_min', NEW.premium_mic_min, 'premium_mic_max', NEW.premium_mic_max, 'standard_moisture_pct', NEW.standard_moisture_pct, 'standard_trash_pct', NEW.standard_trash_pct, 'nominal_bale_kg', NEW.nominal_bale_kg, 'updated_at', NEW.updated_at, 'updated_by', NEW.updated_by) AS j) AS n;
END;

CREATE TRIGGER audit_season_rules_delete AFTER DELETE ON season_rules
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'season_rules', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'season_rules', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.season AS TEXT) AS k,
                 json_object('season', OLD.season, 'min_unit_area_mu', OLD.min_unit_area_mu, 'realtime_window_minutes', OLD.realtime_window_minutes, 'premium_min_length_mm', OLD.premium_min_length_mm, 'premium_min_strength', OLD.premium_min_strength, 'premium_mic_min', OLD.premium_mic_min, 'premium_mic_max', OLD.premium_mic_max, 'standard_moisture_pct', OLD.standard_moisture_pct, 'standard_trash_pct', OLD.standard_trash_pct, 'nominal_bale_kg', OLD.nominal_bale_kg, 'updated_at', OLD.updated_at, 'updated_by', OLD.updated_by) AS j) AS n;
END;

CREATE TRIGGER audit_growers_insert AFTER INSERT ON growers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'growers', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'growers', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'company_id', NEW.company_id, 'id_number', audit_sha256(NEW.id_number), 'name', NEW.name, 'phone', NEW.phone, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_growers_update AFTER UPDATE ON growers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'growers', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'growers', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'company_id', NEW.company_id, 'id_number', audit_sha256(NEW.id_number), 'name', NEW.name, 'phone', NEW.phone, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_growers_delete AFTER DELETE ON growers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'growers', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'growers', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'company_id', OLD.company_id, 'id_number', audit_sha256(OLD.id_number), 'name', OLD.name, 'phone', OLD.phone, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_plots_insert AFTER INSERT ON plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'plots', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'plots', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'grower_id', NEW.grower_id, 'company_id', NEW.company_id, 'season', NEW.season, 'code', NEW.code, 'area_mu', NEW.area_mu, 'location', NEW.location, 'variety', NEW.variety, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_plots_update AFTER UPDATE ON plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'plots', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'plots', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'grower_id', NEW.grower_id, 'company_id', NEW.company_id, 'season', NEW.season, 'code', NEW.code, 'area_mu', NEW.area_mu, 'location', NEW.location, 'variety', NEW.variety, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_plots_delete AFTER DELETE ON plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'plots', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'plots', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'grower_id', OLD.grower_id, 'company_id', OLD.company_id, 'season', OLD.season, 'code', OLD.code, 'area_mu', OLD.area_mu, 'location', OLD.location, 'variety', OLD.variety, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_trace_units_insert AFTER INSERT ON trace_units
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_units', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_units', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'code', NEW.code, 'name', NEW.name, 'kind', NEW.kind, 'season', NEW.season, 'status', NEW.status, 'region_id', NEW.region_id, 'regiment_id', NEW.regiment_id, 'creator_account_id', NEW.creator_account_id, 'creator_org_id', NEW.creator_org_id, 'legal_name', NEW.legal_name, 'legal_id_number', audit_sha256(NEW.legal_id_number), 'legal_credit_code', NEW.legal_credit_code, 'legal_phone', NEW.legal_phone, 'processing', NEW.processing, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_trace_units_update AFTER UPDATE ON trace_units
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_units', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_units', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'code', NEW.code, 'name', NEW.name, 'kind', NEW.kind, 'season', NEW.season, 'status', NEW.status, 'region_id', NEW.region_id, 'regiment_id', NEW.regiment_id, 'creator_account_id', NEW.creator_account_id, 'creator_org_id', NEW.creator_org_id, 'legal_name', NEW.legal_name, 'legal_id_number', audit_sha256(NEW.legal_id_number), 'legal_credit_code', NEW.legal_credit_code, 'legal_phone', NEW.legal_phone, 'processing', NEW.processing, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_trace_units_delete AFTER DELETE ON trace_units
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_units', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_units', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'code', OLD.code, 'name', OLD.name, 'kind', OLD.kind, 'season', OLD.season, 'status', OLD.status, 'region_id', OLD.region_id, 'regiment_id', OLD.regiment_id, 'creator_account_id', OLD.creator_account_id, 'creator_org_id', OLD.creator_org_id, 'legal_name', OLD.legal_name, 'legal_id_number', audit_sha256(OLD.legal_id_number), 'legal_credit_code', OLD.legal_credit_code, 'legal_phone', OLD.legal_phone, 'processing', OLD.processing, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_unit_plots_insert AFTER INSERT ON unit_plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'unit_plots', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'unit_plots', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'unit_id', NEW.unit_id, 'plot_id', NEW.plot_id, 'added_at', NEW.added_at, 'released_at', NEW.released_at) AS j) AS n;
END;

CREATE TRIGGER audit_unit_plots_update AFTER UPDATE ON unit_plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'unit_plots', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'unit_plots', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'unit_id', NEW.unit_id, 'plot_id', NEW.plot_id, 'added_at', NEW.added_at, 'released_at', NEW.released_at) AS j) AS n;
END;

CREATE TRIGGER audit_unit_plots_delete AFTER DELETE ON unit_plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'unit_plots', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'unit_plots', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'unit_id', OLD.unit_id, 'plot_id', OLD.plot_id, 'added_at', OLD.added_at, 'released_at', OLD.released_at) AS j) AS n;
END;

CREATE TRIGGER audit_unit_reviews_insert AFTER INSERT ON unit_reviews
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'unit_reviews', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'unit_reviews', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'unit_id', NEW.unit_id, 'action', NEW.action, 'reason', NEW.reason, 'by_account', NEW.by_account, 'at', NEW.at) AS j) AS n;
END;

CREATE TRIGGER audit_unit_reviews_update AFTER UPDATE ON unit_reviews
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'unit_reviews', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'unit_reviews', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'unit_id', NEW.unit_id, 'action', NEW.action, 'reason', NEW.reason, 'by_account', NEW.by_account, 'at', NEW.at) AS j) AS n;
END;

CREATE TRIGGER audit_unit_reviews_delete AFTER DELETE ON unit_reviews
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'unit_reviews', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'unit_reviews', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'unit_id', OLD.unit_id, 'action', OLD.action, 'reason', OLD.reason, 'by_account', OLD.by_account, 'at', OLD.at) AS j) AS n;
END;

CREATE TRIGGER audit_tickets_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'tickets', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'tickets', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'enterprise_id', NEW.enterprise_id, 'ticket_no', NEW.ticket_no, 'season', NEW.season, 'grower_id', NEW.grower_id, 'gross_kg', NEW.gross_kg, 'tare_kg', NEW.tare_kg, 'moisture_pct', NEW.moisture_pct, 'trash_pct', NEW.trash_pct, 'lint_yield_pct', NEW.lint_yield_pct, 'module_count', NEW.module_count, 'weighed_at', NEW.weighed_at, 'uploaded_at', NEW.uploaded_at, 'late', NEW.late, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_tickets_update AFTER UPDATE ON tickets
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'tickets', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'tickets', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'enterprise_id', NEW.enterprise_id, 'ticket_no', NEW.ticket_no, 'season', NEW.season, 'grower_id', NEW.grower_id, 'gross_kg', NEW.gross_kg, 'tare_kg', NEW.tare_kg, 'moisture_pct', NEW.moisture_pct, 'trash_pct', NEW.trash_pct, 'lint_yield_pct', NEW.lint_yield_pct, 'module_count', NEW.module_count, 'weighed_at', NEW.weighed_at, 'uploaded_at', NEW.uploaded_at, 'late', NEW.late, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_tickets_delete AFTER DELETE ON tickets
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'tickets', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'tickets', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'enterprise_id', OLD.enterprise_id, 'ticket_no', OLD.ticket_no, 'season', OLD.season, 'grower_id', OLD.grower_id, 'gross_kg', OLD.gross_kg, 'tare_kg', OLD.tare_kg, 'moisture_pct', OLD.moisture_pct, 'trash_pct', OLD.trash_pct, 'lint_yield_pct', OLD.lint_yield_pct, 'module_count', OLD.module_count, 'weighed_at', OLD.weighed_at, 'uploaded_at', OLD.uploaded_at, 'late', OLD.late, 'updated_at', OLD.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_ticket_plots_insert AFTER INSERT ON ticket_plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'ticket_plots', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'ticket_plots', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.ticket_id AS TEXT) || ',' || CAST(NEW.plot_id AS TEXT) AS k,
                 json_object('ticket_id', NEW.ticket_id, 'plot_id', NEW.plot_id) AS j) AS n;
END;

CREATE TRIGGER audit_ticket_plots_update AFTER UPDATE ON ticket_plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'ticket_plots', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'ticket_plots', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.ticket_id AS TEXT) || ',' || CAST(NEW.plot_id AS TEXT) AS k,
                 json_object('ticket_id', NEW.ticket_id, 'plot_id', NEW.plot_id) AS j) AS n;
END;

CREATE TRIGGER audit_ticket_plots_delete AFTER DELETE ON ticket_plots
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'ticket_plots', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'ticket_plots', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.ticket_id AS TEXT) || ',' || CAST(OLD.plot_id AS TEXT) AS k,
                 json_object('ticket_id', OLD.ticket_id, 'plot_id', OLD.plot_id) AS j) AS n;
END;

CREATE TRIGGER audit_trace_cards_insert AFTER INSERT ON trace_cards
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_cards', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_cards', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_no', NEW.card_no, 'season', NEW.season, 'ticket_id', NEW.ticket_id, 'unit_id', NEW.unit_id, 'enterprise_id', NEW.enterprise_id, 'module_type', NEW.module_type, 'module_count', NEW.module_count, 'target_lint_kg', NEW.target_lint_kg, 'processed_lint_kg', NEW.processed_lint_kg, 'processable_bales', NEW.processable_bales, 'status', NEW.status, 'printed_by', NEW.printed_by, 'printed_at', NEW.printed_at) AS j) AS n;
END;

CREATE TRIGGER audit_trace_cards_update AFTER UPDATE ON trace_cards
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_cards', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_cards', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_no', NEW.card_no, 'season', NEW.season, 'ticket_id', NEW.ticket_id, 'unit_id', NEW.unit_id, 'enterprise_id', NEW.enterprise_id, 'module_type', NEW.module_type, 'module_count', NEW.module_count, 'target_lint_kg', NEW.target_lint_kg, 'processed_lint_kg', NEW.processed_lint_kg, 'processable_bales', NEW.processable_bales, 'status', NEW.status, 'printed_by', NEW.printed_by, 'printed_at', NEW.printed_at) AS j) AS n;
END;

CREATE TRIGGER audit_trace_cards_delete AFTER DELETE ON trace_cards
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_cards', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_cards', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'card_no', OLD.card_no, 'season', OLD.season, 'ticket_id', OLD.ticket_id, 'unit_id', OLD.unit_id, 'enterprise_id', OLD.enterprise_id, 'module_type', OLD.module_type, 'module_count', OLD.module_count, 'target_lint_kg', OLD.target_lint_kg, 'processed_lint_kg', OLD.processed_lint_kg, 'processable_bales', OLD.processable_bales, 'status', OLD.status, 'printed_by', OLD.printed_by, 'printed_at', OLD.printed_at) AS j) AS n;
END;

CREATE TRIGGER audit_print_records_insert AFTER INSERT ON print_records
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'print_records', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'print_records', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_id', NEW.card_id, 'copies', NEW.copies, 'reprint', NEW.reprint, 'printer', NEW.printer, 'by_account', NEW.by_account, 'at', NEW.at) AS j) AS n;
END;

CREATE TRIGGER audit_print_records_update AFTER UPDATE ON print_records
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'print_records', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'print_records', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_id', NEW.card_id, 'copies', NEW.copies, 'reprint', NEW.reprint, 'printer', NEW.printer, 'by_account', NEW.by_account, 'at', NEW.at) AS j) AS n;
END;

CREATE TRIGGER audit_print_records_delete AFTER DELETE ON print_records
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'print_records', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'print_records', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'card_id', OLD.card_id, 'copies', OLD.copies, 'reprint', OLD.reprint, 'printer', OLD.printer, 'by_account', OLD.by_account, 'at', OLD.at) AS j) AS n;
END;

CREATE TRIGGER audit_production_lines_insert AFTER INSERT ON production_lines
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'production_lines', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'production_lines', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'enterprise_id', NEW.enterprise_id, 'name', NEW.name, 'collector_model', NEW.collector_model, 'device_key', audit_sha256(NEW.device_key), 'created_at', NEW.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_production_lines_update AFTER UPDATE ON production_lines
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'production_lines', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'production_lines', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'enterprise_id', NEW.enterprise_id, 'name', NEW.name, 'collector_model', NEW.collector_model, 'device_key', audit_sha256(NEW.device_key), 'created_at', NEW.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_production_lines_delete AFTER DELETE ON production_lines
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'production_lines', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'production_lines', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'enterprise_id', OLD.enterprise_id, 'name', OLD.name, 'collector_model', OLD.collector_model, 'device_key', audit_sha256(OLD.device_key), 'created_at', OLD.created_at) AS j) AS n;
END;

CREATE TRIGGER audit_card_exports_insert AFTER INSERT ON card_exports
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'card_exports', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'card_exports', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_id', NEW.card_id, 'line_id', NEW.line_id, 'exported_at', NEW.exported_at) AS j) AS n;
END;

CREATE TRIGGER audit_card_exports_update AFTER UPDATE ON card_exports
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'card_exports', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'card_exports', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_id', NEW.card_id, 'line_id', NEW.line_id, 'exported_at', NEW.exported_at) AS j) AS n;
END;

CREATE TRIGGER audit_card_exports_delete AFTER DELETE ON card_exports
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'card_exports', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'card_exports', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'card_id', OLD.card_id, 'line_id', OLD.line_id, 'exported_at', OLD.exported_at) AS j) AS n;
END;

CREATE TRIGGER audit_line_states_insert AFTER INSERT ON line_states
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'line_states', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'line_states', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.line_id AS TEXT) AS k,
                 json_object('line_id', NEW.line_id, 'state', NEW.state, 'version', NEW.version, 'last_seq', NEW.last_seq, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_line_states_update AFTER UPDATE ON line_states
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'line_states', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'line_states', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.line_id AS TEXT) AS k,
                 json_object('line_id', NEW.line_id, 'state', NEW.state, 'version', NEW.version, 'last_seq', NEW.last_seq, 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_line_states_delete AFTER DELETE ON line_states
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'line_states', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'line_states', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.line_id AS TEXT) AS k,
                 json_object('line_id', OLD.line_id, 'state', OLD.state, 'version', OLD.version, 'last_seq', OLD.last_seq, 'updated_at', OLD.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_line_records_insert AFTER INSERT ON line_records
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'line_records', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'line_records', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'line_id', NEW.line_id, 'seq', NEW.seq, 'kind', NEW.kind, 'payload', NEW.payload, 'at', NEW.at, 'source', NEW.source) AS j) AS n;
END;

CREATE TRIGGER audit_line_records_update AFTER UPDATE ON line_records
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'line_records', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'line_records', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'line_id', NEW.line_id, 'seq', NEW.seq, 'kind', NEW.kind, 'payload', NEW.payload, 'at', NEW.at, 'source', NEW.source) AS j) AS n;
END;

CREATE TRIGGER audit_line_records_delete AFTER DELETE ON line_records
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'line_records', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'line_records', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'line_id', OLD.line_id, 'seq', OLD.seq, 'kind', OLD.kind, 'payload', OLD.payload, 'at', OLD.at, 'source', OLD.source) AS j) AS n;
END;

CREATE TRIGGER audit_bales_insert AFTER INSERT ON bales
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'bales', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'bales', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'barcode', NEW.barcode, 'enterprise_id', NEW.enterprise_id, 'line_id', NEW.line_id, 'card_id', NEW.card_id, 'net_kg', NEW.net_kg, 'moisture_pct', NEW.moisture_pct, 'conditioned_kg', NEW.conditioned_kg, 'traced', NEW.traced, 'delay', NEW.delay, 'pressed_at', NEW.pressed_at, 'seq', NEW.seq) AS j) AS n;
END;

CREATE TRIGGER audit_bales_update AFTER UPDATE ON bales
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'bales', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'bales', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'barcode', NEW.barcode, 'enterprise_id', NEW.enterprise_id, 'line_id', NEW.line_id, 'card_id', NEW.card_id, 'net_kg', NEW.net_kg, 'moisture_pct', NEW.moisture_pct, 'conditioned_kg', NEW.conditioned_kg, 'traced', NEW.traced, 'delay', NEW.delay, 'pressed_at', NEW.pressed_at, 'seq', NEW.seq) AS j) AS n;
END;

CREATE TRIGGER audit_bales_delete AFTER DELETE ON bales
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'bales', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'bales', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'barcode', OLD.barcode, 'enterprise_id', OLD.enterprise_id, 'line_id', OLD.line_id, 'card_id', OLD.card_id, 'net_kg', OLD.net_kg, 'moisture_pct', OLD.moisture_pct, 'conditioned_kg', OLD.conditioned_kg, 'traced', OLD.traced, 'delay', OLD.delay, 'pressed_at', OLD.pressed_at, 'seq', OLD.seq) AS j) AS n;
END;

CREATE TRIGGER audit_enterprise_verifiers_insert AFTER INSERT ON enterprise_verifiers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'enterprise_verifiers', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'enterprise_verifiers', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.enterprise_id AS TEXT) AS k,
                 json_object('enterprise_id', NEW.enterprise_id, 'username', NEW.username, 'password_hash', audit_sha256(NEW.password_hash), 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_enterprise_verifiers_update AFTER UPDATE ON enterprise_verifiers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'enterprise_verifiers', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'enterprise_verifiers', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.enterprise_id AS TEXT) AS k,
                 json_object('enterprise_id', NEW.enterprise_id, 'username', NEW.username, 'password_hash', audit_sha256(NEW.password_hash), 'updated_at', NEW.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_enterprise_verifiers_delete AFTER DELETE ON enterprise_verifiers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'enterprise_verifiers', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'enterprise_verifiers', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.enterprise_id AS TEXT) AS k,
                 json_object('enterprise_id', OLD.enterprise_id, 'username', OLD.username, 'password_hash', audit_sha256(OLD.password_hash), 'updated_at', OLD.updated_at) AS j) AS n;
END;

CREATE TRIGGER audit_inspections_insert AFTER INSERT ON inspections
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'inspections', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'inspections', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'barcode', NEW.barcode, 'color_grade', NEW.color_grade, 'length_mm', NEW.length_mm, 'strength', NEW.strength, 'micronaire', NEW.micronaire, 'uniformity_pct', NEW.uniformity_pct, 'trash_pct', NEW.trash_pct, 'moisture_pct', NEW.moisture_pct, 'conditioned_kg', NEW.conditioned_kg, 'imported_at', NEW.imported_at) AS j) AS n;
END;

CREATE TRIGGER audit_inspections_update AFTER UPDATE ON inspections
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'inspections', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'inspections', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'barcode', NEW.barcode, 'color_grade', NEW.color_grade, 'length_mm', NEW.length_mm, 'strength', NEW.strength, 'micronaire', NEW.micronaire, 'uniformity_pct', NEW.uniformity_pct, 'trash_pct', NEW.trash_pct, 'moisture_pct', NEW.moisture_pct, 'conditioned_kg', NEW.conditioned_kg, 'imported_at', NEW.imported_at) AS j) AS n;
END;

CREATE TRIGGER audit_inspections_delete AFTER DELETE ON inspections
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'inspections', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'inspections', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'barcode', OLD.barcode, 'color_grade', OLD.color_grade, 'length_mm', OLD.length_mm, 'strength', OLD.strength, 'micronaire', OLD.micronaire, 'uniformity_pct', OLD.uniformity_pct, 'trash_pct', OLD.trash_pct, 'moisture_pct', OLD.moisture_pct, 'conditioned_kg', OLD.conditioned_kg, 'imported_at', OLD.imported_at) AS j) AS n;
END;

-- Rows that existed before this migration get one baseline UPDATE entry each.
UPDATE orgs SET id = id;
UPDATE accounts SET id = id;
UPDATE season_rules SET season = season;
UPDATE growers SET id = id;
UPDATE plots SET id = id;
UPDATE trace_units SET id = id;
UPDATE unit_plots SET id = id;
UPDATE unit_reviews SET id = id;
UPDATE tickets SET id = id;
UPDATE ticket_plots SET ticket_id = ticket_id;
UPDATE trace_cards SET id = id;
UPDATE print_records SET id = id;
UPDATE production_lines SET id = id;
UPDATE card_exports SET id = id;
UPDATE line_states SET line_id = line_id;
UPDATE line_records SET id = id;
UPDATE bales SET id = id;
UPDATE enterprise_verifiers SET enterprise_id = enterprise_id;
UPDATE inspections SET id = id;
