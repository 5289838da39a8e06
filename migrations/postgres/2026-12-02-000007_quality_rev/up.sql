-- Unit quality aggregate cache (docs/decisions.md): quality_rev is bumped in the same
-- transaction as every write that changes the unit's bale aggregate (bales processed,
-- inspections imported, season rules changed); servers cache the aggregate per
-- (unit, quality_rev).
ALTER TABLE trace_units ADD COLUMN quality_rev BIGINT NOT NULL DEFAULT 0;

-- The audit trigger snapshots to_jsonb(row): log a fresh snapshot of every existing
-- row (with quality_rev) so `audit verify` matches.
UPDATE trace_units SET id = id;
