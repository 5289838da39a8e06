-- Unit quality aggregate cache (docs/decisions.md): quality_rev is bumped in the same
-- transaction as every write that changes the unit's bale aggregate (bales processed,
-- inspections imported, season rules changed); servers cache the aggregate per
-- (unit, quality_rev).
ALTER TABLE trace_units ADD COLUMN quality_rev BIGINT NOT NULL DEFAULT 0;

-- The audit triggers of trace_units list their columns (000006): re-create them with
-- the new column, in table order (what `audit verify` recomputes).
DROP TRIGGER IF EXISTS audit_trace_units_insert;
DROP TRIGGER IF EXISTS audit_trace_units_update;
DROP TRIGGER IF EXISTS audit_trace_units_delete;

CREATE TRIGGER audit_trace_units_insert AFTER INSERT ON trace_units
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_units', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_units', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'code', NEW.code, 'name', NEW.name, 'kind', NEW.kind, 'season', NEW.season, 'status', NEW.status, 'region_id', NEW.region_id, 'regiment_id', NEW.regiment_id, 'creator_account_id', NEW.creator_account_id, 'creator_org_id', NEW.creator_org_id, 'legal_name', NEW.legal_name, 'legal_id_number', audit_sha256(NEW.legal_id_number), 'legal_credit_code', NEW.legal_credit_code, 'legal_phone', NEW.legal_phone, 'processing', NEW.processing, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'quality_rev', NEW.quality_rev) AS j) AS n;
END;

CREATE TRIGGER audit_trace_units_update AFTER UPDATE ON trace_units
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_units', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_units', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'code', NEW.code, 'name', NEW.name, 'kind', NEW.kind, 'season', NEW.season, 'status', NEW.status, 'region_id', NEW.region_id, 'regiment_id', NEW.regiment_id, 'creator_account_id', NEW.creator_account_id, 'creator_org_id', NEW.creator_org_id, 'legal_name', NEW.legal_name, 'legal_id_number', audit_sha256(NEW.legal_id_number), 'legal_credit_code', NEW.legal_credit_code, 'legal_phone', NEW.legal_phone, 'processing', NEW.processing, 'created_at', NEW.created_at, 'updated_at', NEW.updated_at, 'quality_rev', NEW.quality_rev) AS j) AS n;
END;

CREATE TRIGGER audit_trace_units_delete AFTER DELETE ON trace_units
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_units', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_units', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'code', OLD.code, 'name', OLD.name, 'kind', OLD.kind, 'season', OLD.season, 'status', OLD.status, 'region_id', OLD.region_id, 'regiment_id', OLD.regiment_id, 'creator_account_id', OLD.creator_account_id, 'creator_org_id', OLD.creator_org_id, 'legal_name', OLD.legal_name, 'legal_id_number', audit_sha256(OLD.legal_id_number), 'legal_credit_code', OLD.legal_credit_code, 'legal_phone', OLD.legal_phone, 'processing', OLD.processing, 'created_at', OLD.created_at, 'updated_at', OLD.updated_at, 'quality_rev', OLD.quality_rev) AS j) AS n;
END;

-- A fresh snapshot of every existing row (with quality_rev).
UPDATE trace_units SET id = id;
