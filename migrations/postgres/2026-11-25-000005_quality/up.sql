-- Official fibre inspection (公检) results per bale barcode.
CREATE TABLE inspections (
    id              BIGSERIAL PRIMARY KEY,
    barcode         TEXT NOT NULL UNIQUE REFERENCES bales(barcode),
    color_grade     TEXT,
    length_mm       NUMERIC(6,2),
    strength        NUMERIC(6,2),
    micronaire      NUMERIC(5,2),
    uniformity_pct  NUMERIC(5,2),
    trash_pct       NUMERIC(5,2),
    moisture_pct    NUMERIC(5,2),
    conditioned_kg  NUMERIC(10,2),
    imported_at     TIMESTAMP NOT NULL
);
