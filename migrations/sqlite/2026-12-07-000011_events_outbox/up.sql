-- Issue 19: the events outbox (see the PostgreSQL migration). SQLite has one
-- writer at a time, so ids increase in commit order and each row's cursor is its
-- id, set in the inserting transaction.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    seq     BIGINT UNIQUE,
    at      TIMESTAMP NOT NULL,
    payload TEXT NOT NULL CHECK (length(payload) BETWEEN 2 AND 8000)
);
CREATE TRIGGER events_seq AFTER INSERT ON events
BEGIN
    UPDATE events SET seq = NEW.id WHERE id = NEW.id;
END;
