-- Issue 15 item 7 (SPEC §7): the printer model each enterprise's cards print on
-- when the operator names none (setDefaultPrinter). One row per enterprise; the
-- model is one a loaded printer plugin served when it was set (checked by the
-- server: plugins are loaded at start, so the database cannot know them).
CREATE TABLE enterprise_printers (
    enterprise_id  BIGINT PRIMARY KEY REFERENCES orgs(id),
    model          TEXT NOT NULL CHECK (length(model) BETWEEN 1 AND 32 AND model = trim(model)),
    set_by         BIGINT NOT NULL REFERENCES accounts(id),
    set_at         TIMESTAMP NOT NULL
);

-- Audited like every enterprise setting: the triggers list the columns in table
-- order (what `audit verify` recomputes), as in 000006.
CREATE TRIGGER audit_enterprise_printers_insert AFTER INSERT ON enterprise_printers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'enterprise_printers', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'enterprise_printers', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.enterprise_id AS TEXT) AS k,
                 json_object('enterprise_id', NEW.enterprise_id, 'model', NEW.model, 'set_by', NEW.set_by, 'set_at', NEW.set_at) AS j) AS n;
END;

CREATE TRIGGER audit_enterprise_printers_update AFTER UPDATE ON enterprise_printers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'enterprise_printers', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'enterprise_printers', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.enterprise_id AS TEXT) AS k,
                 json_object('enterprise_id', NEW.enterprise_id, 'model', NEW.model, 'set_by', NEW.set_by, 'set_at', NEW.set_at) AS j) AS n;
END;

CREATE TRIGGER audit_enterprise_printers_delete AFTER DELETE ON enterprise_printers
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'enterprise_printers', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'enterprise_printers', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.enterprise_id AS TEXT) AS k,
                 json_object('enterprise_id', OLD.enterprise_id, 'model', OLD.model, 'set_by', OLD.set_by, 'set_at', OLD.set_at) AS j) AS n;
END;
