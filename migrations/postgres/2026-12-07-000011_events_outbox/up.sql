-- Issue 19: the events outbox. A change writes its events here in its own
-- transaction, so an event exists iff its change committed, and no event is lost
-- when an instance dies between commit and delivery (the rows are here).
--
-- `seq` is the subscribers' cursor. Ids of a sequence are handed out at insert
-- and two transactions may commit in either order, so an id cannot be a cursor
-- (a reader past id 10 would never see a 9 that commits later). After commit one
-- sequencer at a time (transaction advisory lock, outside every write
-- transaction) numbers the committed rows that have no `seq` yet: cursors then
-- increase in the order events became readable.
CREATE SEQUENCE event_seq;
CREATE TABLE events (
    id      BIGSERIAL PRIMARY KEY,
    seq     BIGINT UNIQUE,
    at      TIMESTAMP NOT NULL,
    -- The event as JSON (`cotton_service::events::Event`); NOTIFY's 8,000-byte
    -- bound no longer applies, but an event is a few hundred bytes.
    payload TEXT NOT NULL CHECK (length(payload) BETWEEN 2 AND 8000)
);
-- The sequencer's work list: committed rows not yet numbered.
CREATE INDEX events_unsequenced ON events (id) WHERE seq IS NULL;
