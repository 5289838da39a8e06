-- Issue 15: how a card finished (AUTO: reached its target, never processed again;
-- MANUAL: 结束, re-processable with the verification account), and the cards one
-- scan may carry as season rules (SPEC §5: IV/V 10, VI 20).
ALTER TABLE trace_cards ADD COLUMN finished_by TEXT CHECK (finished_by IN ('AUTO', 'MANUAL'));
-- Cards finished before: at their target they finished by themselves, else by hand.
UPDATE trace_cards SET finished_by = CASE WHEN processed_lint_kg >= target_lint_kg THEN 'AUTO' ELSE 'MANUAL' END
WHERE status = 'FINISHED';
ALTER TABLE trace_cards ADD CONSTRAINT trace_cards_finished_by_iff_finished
    CHECK ((status = 'FINISHED') = (finished_by IS NOT NULL));

ALTER TABLE season_rules ADD COLUMN cards_per_scan_iv_v INTEGER NOT NULL DEFAULT 10
    CHECK (cards_per_scan_iv_v BETWEEN 1 AND 10);
ALTER TABLE season_rules ADD COLUMN cards_per_scan_vi INTEGER NOT NULL DEFAULT 20
    CHECK (cards_per_scan_vi BETWEEN 1 AND 100);

-- Fibre measurements keep the precision the inspection gave ("29.1" stays 29.1,
-- "4.25" stays 4.25), as on SQLite: unconstrained NUMERIC, at most 2 decimals.
ALTER TABLE inspections
    ALTER COLUMN length_mm TYPE NUMERIC,
    ALTER COLUMN strength TYPE NUMERIC,
    ALTER COLUMN micronaire TYPE NUMERIC,
    ADD CONSTRAINT inspections_fibre_scale CHECK (scale(length_mm) <= 2 AND scale(strength) <= 2 AND scale(micronaire) <= 2);
