ALTER TABLE inspections
    DROP CONSTRAINT inspections_fibre_scale,
    ALTER COLUMN length_mm TYPE NUMERIC(6,2),
    ALTER COLUMN strength TYPE NUMERIC(6,2),
    ALTER COLUMN micronaire TYPE NUMERIC(5,2);
ALTER TABLE season_rules DROP COLUMN cards_per_scan_vi;
ALTER TABLE season_rules DROP COLUMN cards_per_scan_iv_v;
ALTER TABLE trace_cards DROP CONSTRAINT trace_cards_finished_by_iff_finished;
ALTER TABLE trace_cards DROP COLUMN finished_by;
