-- Back to 000009: the triggers without the new columns, then the columns dropped.
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

ALTER TABLE season_rules DROP COLUMN cards_per_scan_vi;
ALTER TABLE season_rules DROP COLUMN cards_per_scan_iv_v;
ALTER TABLE trace_cards DROP COLUMN finished_by;
