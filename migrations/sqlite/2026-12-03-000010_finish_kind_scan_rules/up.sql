-- Issue 15: how a card finished (AUTO: reached its target, never processed again;
-- MANUAL: 结束, re-processable with the verification account), and the cards one
-- scan may carry as season rules (SPEC §5: IV/V 10, VI 20).
ALTER TABLE trace_cards ADD COLUMN finished_by TEXT
    CHECK (finished_by IS NULL OR (finished_by IN ('AUTO', 'MANUAL') AND status = 'FINISHED'));
-- Cards finished before: at their target they finished by themselves, else by hand.
UPDATE trace_cards SET finished_by = CASE
    WHEN CAST(processed_lint_kg AS REAL) >= CAST(target_lint_kg AS REAL) THEN 'AUTO' ELSE 'MANUAL' END
WHERE status = 'FINISHED';

ALTER TABLE season_rules ADD COLUMN cards_per_scan_iv_v INTEGER NOT NULL DEFAULT 10
    CHECK (cards_per_scan_iv_v BETWEEN 1 AND 10);
ALTER TABLE season_rules ADD COLUMN cards_per_scan_vi INTEGER NOT NULL DEFAULT 20
    CHECK (cards_per_scan_vi BETWEEN 1 AND 100);

-- The audit triggers of both tables list their columns (000006): re-created with
-- the new ones, in table order (what `audit verify` recomputes).
DROP TRIGGER IF EXISTS audit_trace_cards_insert;
DROP TRIGGER IF EXISTS audit_trace_cards_update;
DROP TRIGGER IF EXISTS audit_trace_cards_delete;

CREATE TRIGGER audit_trace_cards_insert AFTER INSERT ON trace_cards
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_cards', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_cards', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_no', NEW.card_no, 'season', NEW.season, 'ticket_id', NEW.ticket_id, 'unit_id', NEW.unit_id, 'enterprise_id', NEW.enterprise_id, 'module_type', NEW.module_type, 'module_count', NEW.module_count, 'target_lint_kg', NEW.target_lint_kg, 'processed_lint_kg', NEW.processed_lint_kg, 'processable_bales', NEW.processable_bales, 'status', NEW.status, 'printed_by', NEW.printed_by, 'printed_at', NEW.printed_at, 'finished_by', NEW.finished_by) AS j) AS n;
END;

CREATE TRIGGER audit_trace_cards_update AFTER UPDATE ON trace_cards
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_cards', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_cards', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.id AS TEXT) AS k,
                 json_object('id', NEW.id, 'card_no', NEW.card_no, 'season', NEW.season, 'ticket_id', NEW.ticket_id, 'unit_id', NEW.unit_id, 'enterprise_id', NEW.enterprise_id, 'module_type', NEW.module_type, 'module_count', NEW.module_count, 'target_lint_kg', NEW.target_lint_kg, 'processed_lint_kg', NEW.processed_lint_kg, 'processable_bales', NEW.processable_bales, 'status', NEW.status, 'printed_by', NEW.printed_by, 'printed_at', NEW.printed_at, 'finished_by', NEW.finished_by) AS j) AS n;
END;

CREATE TRIGGER audit_trace_cards_delete AFTER DELETE ON trace_cards
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'trace_cards', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'trace_cards', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.id AS TEXT) AS k,
                 json_object('id', OLD.id, 'card_no', OLD.card_no, 'season', OLD.season, 'ticket_id', OLD.ticket_id, 'unit_id', OLD.unit_id, 'enterprise_id', OLD.enterprise_id, 'module_type', OLD.module_type, 'module_count', OLD.module_count, 'target_lint_kg', OLD.target_lint_kg, 'processed_lint_kg', OLD.processed_lint_kg, 'processable_bales', OLD.processable_bales, 'status', OLD.status, 'printed_by', OLD.printed_by, 'printed_at', OLD.printed_at, 'finished_by', OLD.finished_by) AS j) AS n;
END;

DROP TRIGGER IF EXISTS audit_season_rules_insert;
DROP TRIGGER IF EXISTS audit_season_rules_update;
DROP TRIGGER IF EXISTS audit_season_rules_delete;

CREATE TRIGGER audit_season_rules_insert AFTER INSERT ON season_rules
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'season_rules', 'INSERT', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'season_rules', 'INSERT', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.season AS TEXT) AS k,
                 json_object('season', NEW.season, 'min_unit_area_mu', NEW.min_unit_area_mu, 'realtime_window_minutes', NEW.realtime_window_minutes, 'premium_min_length_mm', NEW.premium_min_length_mm, 'premium_min_strength', NEW.premium_min_strength, 'premium_mic_min', NEW.premium_mic_min, 'premium_mic_max', NEW.premium_mic_max, 'standard_moisture_pct', NEW.standard_moisture_pct, 'standard_trash_pct', NEW.standard_trash_pct, 'nominal_bale_kg', NEW.nominal_bale_kg, 'updated_at', NEW.updated_at, 'updated_by', NEW.updated_by, 'cards_per_scan_iv_v', NEW.cards_per_scan_iv_v, 'cards_per_scan_vi', NEW.cards_per_scan_vi) AS j) AS n;
END;

CREATE TRIGGER audit_season_rules_update AFTER UPDATE ON season_rules
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'season_rules', 'UPDATE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'season_rules', 'UPDATE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(NEW.season AS TEXT) AS k,
                 json_object('season', NEW.season, 'min_unit_area_mu', NEW.min_unit_area_mu, 'realtime_window_minutes', NEW.realtime_window_minutes, 'premium_min_length_mm', NEW.premium_min_length_mm, 'premium_min_strength', NEW.premium_min_strength, 'premium_mic_min', NEW.premium_mic_min, 'premium_mic_max', NEW.premium_mic_max, 'standard_moisture_pct', NEW.standard_moisture_pct, 'standard_trash_pct', NEW.standard_trash_pct, 'nominal_bale_kg', NEW.nominal_bale_kg, 'updated_at', NEW.updated_at, 'updated_by', NEW.updated_by, 'cards_per_scan_iv_v', NEW.cards_per_scan_iv_v, 'cards_per_scan_vi', NEW.cards_per_scan_vi) AS j) AS n;
END;

CREATE TRIGGER audit_season_rules_delete AFTER DELETE ON season_rules
BEGIN
    INSERT INTO audit_log (chain, seq, at, tbl, op, row_key, row_json, prev_hash, hash)
    SELECT 0, n.seq, n.at, 'season_rules', 'DELETE', n.k, n.j, n.prev, audit_hash(n.prev, 0, n.seq, n.at, 'season_rules', 'DELETE', n.k, n.j)
    FROM (SELECT COALESCE((SELECT seq FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), 0) + 1 AS seq,
                 COALESCE((SELECT hash FROM audit_log WHERE chain = 0 ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000') AS prev,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at,
                 CAST(OLD.season AS TEXT) AS k,
                 json_object('season', OLD.season, 'min_unit_area_mu', OLD.min_unit_area_mu, 'realtime_window_minutes', OLD.realtime_window_minutes, 'premium_min_length_mm', OLD.premium_min_length_mm, 'premium_min_strength', OLD.premium_min_strength, 'premium_mic_min', OLD.premium_mic_min, 'premium_mic_max', OLD.premium_mic_max, 'standard_moisture_pct', OLD.standard_moisture_pct, 'standard_trash_pct', OLD.standard_trash_pct, 'nominal_bale_kg', OLD.nominal_bale_kg, 'updated_at', OLD.updated_at, 'updated_by', OLD.updated_by, 'cards_per_scan_iv_v', OLD.cards_per_scan_iv_v, 'cards_per_scan_vi', OLD.cards_per_scan_vi) AS j) AS n;
END;
