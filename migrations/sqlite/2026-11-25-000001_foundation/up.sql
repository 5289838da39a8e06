-- Foundation: organisations, accounts, sign-in, SMS codes, season rules.
-- SQLite twin of migrations/postgres: decimals are TEXT (exact), checks cast them.
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('CORPS','DIVISION','REGIMENT','COMPANY','COOPERATIVE','ENTERPRISE')),
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   BIGINT REFERENCES orgs(id),
    -- the regiment whose area the org lies in (itself for a regiment); scope checks use it
    regiment_id BIGINT REFERENCES orgs(id),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);
CREATE INDEX orgs_regiment ON orgs(regiment_id);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('PLATFORM_ADMIN','REGIMENT','COMPANY','INITIATOR','ENTERPRISE','GROWER')),
    org_id        BIGINT REFERENCES orgs(id),
    phone         TEXT,
    display_name  TEXT,
    created_at    TIMESTAMP NOT NULL,
    CHECK ((role IN ('PLATFORM_ADMIN','GROWER')) = (org_id IS NULL))
);
CREATE INDEX accounts_org ON accounts(org_id);
CREATE UNIQUE INDEX accounts_initiator_phone ON accounts(phone) WHERE role = 'INITIATOR';

CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    family      TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    revoked_at  TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
CREATE INDEX refresh_tokens_account ON refresh_tokens(account_id);

CREATE TABLE login_attempts (
    username        TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP
);

CREATE TABLE sms_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sms_codes_phone ON sms_codes(phone, created_at);

CREATE TABLE season_rules (
    season                  INTEGER PRIMARY KEY,
    min_unit_area_mu        TEXT NOT NULL CHECK (CAST(min_unit_area_mu AS REAL) > 0),
    realtime_window_minutes INTEGER NOT NULL CHECK (realtime_window_minutes > 0),
    premium_min_length_mm   TEXT NOT NULL,
    premium_min_strength    TEXT NOT NULL,
    premium_mic_min         TEXT NOT NULL,
    premium_mic_max         TEXT NOT NULL,
    standard_moisture_pct   TEXT NOT NULL,
    standard_trash_pct      TEXT NOT NULL,
    nominal_bale_kg         TEXT NOT NULL CHECK (CAST(nominal_bale_kg AS REAL) > 0),
    updated_at              TIMESTAMP NOT NULL,
    updated_by              BIGINT REFERENCES accounts(id),
    CHECK (CAST(premium_mic_min AS REAL) < CAST(premium_mic_max AS REAL))
);

-- Small facts about this database (e.g. that the demo data set was loaded).
CREATE TABLE app_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
