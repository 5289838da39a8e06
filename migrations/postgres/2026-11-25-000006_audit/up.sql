-- Tamper-evident audit trail (issue 10 item 4): every change of an audited table
-- appends, in the same transaction, a row to the hash chain `audit_log`.
--   hash = hex(SHA-256(prev_hash|chain|seq|at|tbl|op|row_key|row_json)), the first
--   prev_hash of a chain is 64 zeros.
-- The triggers are deferred constraint triggers: they run at COMMIT. A transaction
-- appends to one of 16 chains, holding that chain's transaction-scoped advisory
-- lock (72710506, chain) until it ends, with seq = the chain's last seq + 1: each
-- chain has no gaps and its order is the commit order. One chain would serialise
-- every commit's WAL flush (measured: 4x fewer ticket transactions per second);
-- 16 let 16 transactions commit at once. A transaction takes the first free chain
-- from (backend pid) on and stays on it (setting cotton.audit_chain), so it never
-- holds two chain locks. Row snapshot: to_jsonb(row)::text with secrets and ID
-- numbers replaced by their SHA-256 (audit_row_json).
-- `cotton-trace audit verify` (server/src/audit/) checks the chain and the current rows.
CREATE TABLE audit_log (
    chain      INTEGER NOT NULL CHECK (chain BETWEEN 0 AND 15),
    seq        BIGINT NOT NULL,
    at         TEXT NOT NULL,
    tbl        TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('INSERT','UPDATE','DELETE')),
    row_key    TEXT NOT NULL,
    row_json   TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);

-- The key of a row snapshot: the key columns' values joined by ','.
CREATE FUNCTION audit_row_key(j jsonb, keys text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out text;
    c text;
BEGIN
    IF array_length(keys, 1) = 1 THEN
        RETURN j ->> keys[1];
    END IF;
    FOREACH c IN ARRAY keys LOOP
        out := CASE WHEN out IS NULL THEN '' ELSE out || ',' END || (j ->> c);
    END LOOP;
    RETURN out;
END $$;

-- The snapshot text: the row as jsonb, each column of `redact` replaced by the hex
-- SHA-256 of its value (secrets and ID numbers are not copied into the log).
CREATE FUNCTION audit_row_json(j jsonb, redact text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    c text;
BEGIN
    FOREACH c IN ARRAY redact LOOP
        IF j ->> c IS NOT NULL THEN
            j := jsonb_set(j, ARRAY[c], to_jsonb(encode(sha256(convert_to(j ->> c, 'UTF8')), 'hex')));
        END IF;
    END LOOP;
    RETURN j::text;
END $$;

-- Trigger arguments: the key columns (comma-separated), then optionally the
-- columns to redact (comma-separated).
CREATE FUNCTION audit_append() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    j jsonb;
    k text;
    body text;
    prev text;
    s bigint;
    ts text;
    c int;
    i int;
BEGIN
    IF TG_OP = 'DELETE' THEN
        j := to_jsonb(OLD);
    ELSE
        j := to_jsonb(NEW);
    END IF;
    k := audit_row_key(j, string_to_array(TG_ARGV[0], ','));
    IF TG_NARGS > 1 THEN
        body := audit_row_json(j, string_to_array(TG_ARGV[1], ','));
    ELSE
        body := j::text;
    END IF;
    c := nullif(current_setting('cotton.audit_chain', true), '')::int;
    IF c IS NULL THEN
        FOR i IN 0..15 LOOP
            IF pg_try_advisory_xact_lock(72710506, (pg_backend_pid() + i) % 16) THEN
                c := (pg_backend_pid() + i) % 16;
                EXIT;
            END IF;
        END LOOP;
        IF c IS NULL THEN
            c := pg_backend_pid() % 16;
            PERFORM pg_advisory_xact_lock(72710506, c);
        END IF;
        PERFORM set_config('cotton.audit_chain', c::text, true);
    END IF;
    SELECT a.seq, a.hash INTO s, prev FROM audit_log a WHERE a.chain = c ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        s := 0;
        prev := repeat('0', 64);
    END IF;
    s := s + 1;
    ts := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    VALUES (c, s, ts, TG_TABLE_NAME, TG_OP, k, body, prev,
            encode(sha256(convert_to(prev || '|' || c::text || '|' || s::text || '|' || ts || '|' || TG_TABLE_NAME || '|'
                                     || TG_OP || '|' || k || '|' || body, 'UTF8')), 'hex'));
    RETURN NULL;
END $$;

-- Append-only: the application never updates, deletes or truncates log rows.
CREATE FUNCTION audit_log_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();

CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON orgs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id', 'password_hash');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON season_rules
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('season');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON growers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id', 'id_number');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON plots
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON trace_units
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id', 'legal_id_number');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON unit_plots
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON unit_reviews
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON tickets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON ticket_plots
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('ticket_id,plot_id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON trace_cards
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON print_records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON production_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id', 'device_key');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON card_exports
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON line_states
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('line_id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON line_records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON bales
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON enterprise_verifiers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('enterprise_id', 'password_hash');
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON inspections
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');

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
