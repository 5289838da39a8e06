-- Processing on the gin line: line state, the records journal, bales, verification accounts.
CREATE TABLE line_states (
    line_id     BIGINT PRIMARY KEY REFERENCES production_lines(id),
    -- the domain LineState (queue with delay counts, tracing flag) as JSON
    state       TEXT NOT NULL,
    -- optimistic concurrency: a write must see the version it read
    version     BIGINT NOT NULL,
    -- the highest record sequence number applied (uploads are idempotent by seq)
    last_seq    BIGINT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE line_records (
    id        BIGSERIAL PRIMARY KEY,
    line_id   BIGINT NOT NULL REFERENCES production_lines(id),
    seq       BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    payload   TEXT NOT NULL,
    at        TIMESTAMP NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('ONLINE','FILE')),
    UNIQUE (line_id, seq)
);

CREATE TABLE bales (
    id              BIGSERIAL PRIMARY KEY,
    barcode         TEXT NOT NULL UNIQUE,
    enterprise_id   BIGINT NOT NULL REFERENCES orgs(id),
    line_id         BIGINT NOT NULL REFERENCES production_lines(id),
    card_id         BIGINT REFERENCES trace_cards(id),
    net_kg          NUMERIC(10,2) NOT NULL,
    moisture_pct    NUMERIC(5,2),
    conditioned_kg  NUMERIC(10,2) NOT NULL,
    traced          BOOLEAN NOT NULL,
    delay           BOOLEAN NOT NULL,
    pressed_at      TIMESTAMP NOT NULL,
    seq             BIGINT NOT NULL,
    CHECK (traced = (card_id IS NOT NULL))
);
CREATE INDEX bales_card ON bales(card_id);
CREATE INDEX bales_line ON bales(line_id, seq);

-- The enterprise's verification account (校验账号) for re-processing finished cards.
CREATE TABLE enterprise_verifiers (
    enterprise_id  BIGINT PRIMARY KEY REFERENCES orgs(id),
    username       TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
