-- PostgreSQL only (statement-level audit of bulk inserts); SQLite keeps its row
-- triggers (they run in process, without a round trip). Kept for parallel numbering.
SELECT 1;
