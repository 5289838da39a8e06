ALTER TABLE trace_units DROP COLUMN quality_rev;
UPDATE trace_units SET id = id;
