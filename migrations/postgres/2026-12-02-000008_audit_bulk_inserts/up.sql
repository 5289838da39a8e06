-- Audit of bulk inserts (issue 9): an upload file inserts its bales and line
-- records in multi-row INSERTs; the deferred row triggers of 000006 cost ~40 µs a
-- row at COMMIT (one plpgsql INSERT into audit_log per row; measured on 2,000
-- line records: 78 ms). For INSERTs into bales and line_records a statement-level
-- trigger over the transition table appends the same entries (same chain rules,
-- same row key, same to_jsonb(row)::text snapshot, same hash) with ONE INSERT per
-- statement. It runs when the statement ends, not at COMMIT: the transaction then
-- holds its chain's advisory lock from that statement on (a transaction still
-- appends to one chain only; the deferred triggers find the chain in
-- cotton.audit_chain and continue its sequence). UPDATE and DELETE of those
-- tables keep the deferred row trigger.

-- The chain of this transaction: taken as in audit_append (first free of 16 from
-- the backend pid on, else wait for pid % 16), remembered in cotton.audit_chain.
CREATE FUNCTION audit_take_chain() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    c int;
    i int;
BEGIN
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
    RETURN c;
END $$;

-- Trigger argument: the key column (bales and line_records have one, `id`, and
-- nothing to redact).
CREATE FUNCTION audit_append_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c int;
    s bigint;
    prev text;
    ts text;
    k text;
    body text;
    h text;
    r record;
    seqs bigint[] := '{}';
    keys text[] := '{}';
    bodies text[] := '{}';
    prevs text[] := '{}';
    hashes text[] := '{}';
BEGIN
    c := audit_take_chain();
    SELECT a.seq, a.hash INTO s, prev FROM audit_log a WHERE a.chain = c ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        s := 0;
        prev := repeat('0', 64);
    END IF;
    ts := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    -- In key order: the order the rows were inserted in.
    FOR r IN SELECT to_jsonb(n) AS j FROM inserted n ORDER BY (to_jsonb(n) ->> TG_ARGV[0])::bigint LOOP
        s := s + 1;
        k := r.j ->> TG_ARGV[0];
        body := r.j::text;
        h := encode(sha256(convert_to(prev || '|' || c::text || '|' || s::text || '|' || ts || '|' || TG_TABLE_NAME || '|'
                                     || 'INSERT' || '|' || k || '|' || body, 'UTF8')), 'hex');
        seqs := seqs || s;
        keys := keys || k;
        bodies := bodies || body;
        prevs := prevs || prev;
        hashes := hashes || h;
        prev := h;
    END LOOP;
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT c, u.seq, ts, TG_TABLE_NAME, 'INSERT', u.k, u.b, u.p, u.h
    FROM unnest(seqs, keys, bodies, prevs, hashes) AS u(seq, k, b, p, h);
    RETURN NULL;
END $$;

DROP TRIGGER audit ON bales;
CREATE CONSTRAINT TRIGGER audit AFTER UPDATE OR DELETE ON bales
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE TRIGGER audit_inserts AFTER INSERT ON bales REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_inserted('id');

DROP TRIGGER audit ON line_records;
CREATE CONSTRAINT TRIGGER audit AFTER UPDATE OR DELETE ON line_records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('id');
CREATE TRIGGER audit_inserts AFTER INSERT ON line_records REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_inserted('id');
