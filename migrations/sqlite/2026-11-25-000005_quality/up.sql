-- Official fibre inspection (公检) results per bale barcode.
-- SQLite twin of migrations/postgres: decimals are TEXT (exact).
CREATE TABLE inspections (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    barcode         TEXT NOT NULL UNIQUE REFERENCES bales(barcode),
    color_grade     TEXT,
    length_mm       TEXT,
    strength        TEXT,
    micronaire      TEXT,
    uniformity_pct  TEXT,
    trash_pct       TEXT,
    moisture_pct    TEXT,
    conditioned_kg  TEXT,
    imported_at     TIMESTAMP NOT NULL
);
