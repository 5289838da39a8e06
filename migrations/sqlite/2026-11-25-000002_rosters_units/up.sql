-- Rosters (growers and their plots per season) and trace units with their reviews.
-- SQLite twin of migrations/postgres: decimals are TEXT (exact), checks cast them.
CREATE TABLE growers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id  BIGINT NOT NULL REFERENCES orgs(id),
    -- a person is on one company's roster: the ID number identifies them platform-wide
    id_number   TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    phone       TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX growers_company ON growers(company_id);
CREATE INDEX growers_phone ON growers(phone);

CREATE TABLE plots (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    grower_id   BIGINT NOT NULL REFERENCES growers(id),
    company_id  BIGINT NOT NULL REFERENCES orgs(id),
    season      INTEGER NOT NULL,
    code        TEXT NOT NULL,
    area_mu     TEXT NOT NULL CHECK (CAST(area_mu AS REAL) > 0),
    location    TEXT,
    variety     TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (company_id, season, code)
);
CREATE INDEX plots_grower_season ON plots(grower_id, season);

CREATE TABLE trace_units (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    code                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('FREE','COMPANY','COOPERATIVE')),
    season               INTEGER NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('PENDING','APPROVED','REJECTED','DISSOLVED')),
    region_id            BIGINT NOT NULL REFERENCES orgs(id),
    regiment_id          BIGINT NOT NULL REFERENCES orgs(id),
    creator_account_id   BIGINT NOT NULL REFERENCES accounts(id),
    creator_org_id       BIGINT NOT NULL REFERENCES orgs(id),
    legal_name           TEXT,
    legal_id_number      TEXT,
    legal_credit_code    TEXT,
    legal_phone          TEXT,
    processing           BOOLEAN NOT NULL DEFAULT 0,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    CHECK ((kind = 'COOPERATIVE') = (legal_credit_code IS NOT NULL))
);
CREATE INDEX trace_units_regiment ON trace_units(regiment_id, season);
CREATE INDEX trace_units_creator_org ON trace_units(creator_org_id, season);
CREATE INDEX trace_units_creator ON trace_units(creator_account_id);

-- Membership of a plot in a unit. A plot is in at most one live unit: the partial
-- unique index decides between concurrent saves. Removing a plot or dissolving the
-- unit releases the row (kept for history).
CREATE TABLE unit_plots (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id     BIGINT NOT NULL REFERENCES trace_units(id),
    plot_id     BIGINT NOT NULL REFERENCES plots(id),
    added_at    TIMESTAMP NOT NULL,
    released_at TIMESTAMP
);
CREATE UNIQUE INDEX unit_plots_one_live_unit ON unit_plots(plot_id) WHERE released_at IS NULL;
CREATE INDEX unit_plots_unit ON unit_plots(unit_id);

CREATE TABLE unit_reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id     BIGINT NOT NULL REFERENCES trace_units(id),
    action      TEXT NOT NULL CHECK (action IN ('SUBMIT','APPROVE','REJECT','REVOKE','MODIFY','DISSOLVE')),
    reason      TEXT,
    by_account  BIGINT NOT NULL REFERENCES accounts(id),
    at          TIMESTAMP NOT NULL
);
CREATE INDEX unit_reviews_unit ON unit_reviews(unit_id);
