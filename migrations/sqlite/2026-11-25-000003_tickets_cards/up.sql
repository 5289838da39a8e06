-- Purchase weigh tickets, trace cards, print records, production lines, exports.
-- SQLite twin of migrations/postgres: decimals are TEXT (exact), checks cast them.
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id   BIGINT NOT NULL REFERENCES orgs(id),
    ticket_no       TEXT NOT NULL,
    season          INTEGER NOT NULL,
    grower_id       BIGINT NOT NULL REFERENCES growers(id),
    gross_kg        TEXT NOT NULL CHECK (CAST(gross_kg AS REAL) > 0),
    tare_kg         TEXT CHECK (CAST(tare_kg AS REAL) >= 0),
    moisture_pct    TEXT,
    trash_pct       TEXT,
    lint_yield_pct  TEXT,
    module_count    INTEGER,
    weighed_at      TIMESTAMP NOT NULL,
    -- the first upload: lateness is judged on it and never changes afterwards
    uploaded_at     TIMESTAMP NOT NULL,
    late            BOOLEAN NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (enterprise_id, season, ticket_no),
    CHECK (tare_kg IS NULL OR CAST(tare_kg AS REAL) <= CAST(gross_kg AS REAL))
);
CREATE INDEX tickets_grower ON tickets(grower_id, season);

CREATE TABLE ticket_plots (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    plot_id   BIGINT NOT NULL REFERENCES plots(id),
    PRIMARY KEY (ticket_id, plot_id)
);

CREATE TABLE trace_cards (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    card_no            TEXT NOT NULL UNIQUE,
    season             INTEGER NOT NULL,
    -- one card per ticket
    ticket_id          BIGINT NOT NULL UNIQUE REFERENCES tickets(id),
    unit_id            BIGINT NOT NULL REFERENCES trace_units(id),
    enterprise_id      BIGINT NOT NULL REFERENCES orgs(id),
    module_type        TEXT NOT NULL CHECK (module_type IN ('ROUND_MODULE','RECTANGULAR_MODULE','LOOSE')),
    module_count       INTEGER NOT NULL CHECK (module_count >= 0),
    target_lint_kg     TEXT NOT NULL,
    processed_lint_kg  TEXT NOT NULL,
    processable_bales  INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('PRINTED','EXPORTED','PROCESSING','FINISHED')),
    printed_by         BIGINT NOT NULL REFERENCES accounts(id),
    printed_at         TIMESTAMP NOT NULL
);
CREATE INDEX trace_cards_enterprise ON trace_cards(enterprise_id, season, status);
CREATE INDEX trace_cards_unit ON trace_cards(unit_id);

CREATE TABLE print_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id     BIGINT NOT NULL REFERENCES trace_cards(id),
    copies      INTEGER NOT NULL CHECK (copies > 0),
    reprint     BOOLEAN NOT NULL,
    printer     TEXT NOT NULL,
    by_account  BIGINT NOT NULL REFERENCES accounts(id),
    at          TIMESTAMP NOT NULL
);
CREATE INDEX print_records_card ON print_records(card_id);
CREATE INDEX print_records_at ON print_records(at);

CREATE TABLE production_lines (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id    BIGINT NOT NULL REFERENCES orgs(id),
    name             TEXT NOT NULL,
    collector_model  TEXT NOT NULL CHECK (collector_model IN ('IV','V','VI')),
    -- the line's Ed25519 key (base64): devices sign upload files with it
    device_key       TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    UNIQUE (enterprise_id, name)
);

CREATE TABLE card_exports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id     BIGINT NOT NULL REFERENCES trace_cards(id),
    line_id     BIGINT NOT NULL REFERENCES production_lines(id),
    exported_at TIMESTAMP NOT NULL
);
CREATE INDEX card_exports_card ON card_exports(card_id);
