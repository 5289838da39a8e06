-- myResults precomputed (docs/decisions.md "myResults precomputed"); the same
-- tables as on PostgreSQL, with row triggers (SQLite has no statement triggers).
-- A grower's (unit's) token is `folded + count(marks)`; kept data is good while
-- its `data_token` equals it. Writers only insert marks, in their transaction.
CREATE TABLE grower_marks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    grower_id  BIGINT NOT NULL
);
CREATE INDEX grower_marks_grower ON grower_marks(grower_id);

CREATE TABLE unit_marks (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id  BIGINT NOT NULL
);
CREATE INDEX unit_marks_unit ON unit_marks(unit_id);

CREATE TABLE grower_results (
    grower_id   BIGINT PRIMARY KEY REFERENCES growers(id) ON DELETE CASCADE,
    folded      BIGINT NOT NULL DEFAULT 0,
    data_token  BIGINT NOT NULL DEFAULT -1,
    data        TEXT
);

CREATE TABLE unit_results (
    unit_id     BIGINT PRIMARY KEY REFERENCES trace_units(id) ON DELETE CASCADE,
    folded      BIGINT NOT NULL DEFAULT 0,
    data_token  BIGINT NOT NULL DEFAULT -1,
    data        TEXT
);

-- Weigh tickets.
CREATE TRIGGER results_tickets_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO grower_marks (grower_id) VALUES (NEW.grower_id);
END;
CREATE TRIGGER results_tickets_update AFTER UPDATE ON tickets
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT NEW.grower_id UNION SELECT OLD.grower_id;
    INSERT INTO unit_marks (unit_id) SELECT unit_id FROM trace_cards WHERE ticket_id = NEW.id;
END;
CREATE TRIGGER results_tickets_delete AFTER DELETE ON tickets
BEGIN
    INSERT INTO grower_marks (grower_id) VALUES (OLD.grower_id);
END;

-- Trace cards.
CREATE TRIGGER results_cards_insert AFTER INSERT ON trace_cards
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT grower_id FROM tickets WHERE id = NEW.ticket_id;
    INSERT INTO unit_marks (unit_id) VALUES (NEW.unit_id);
END;
CREATE TRIGGER results_cards_update AFTER UPDATE ON trace_cards
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT grower_id FROM tickets WHERE id IN (NEW.ticket_id, OLD.ticket_id);
    INSERT INTO unit_marks (unit_id)
        SELECT NEW.unit_id WHERE NEW.unit_id <> OLD.unit_id OR NEW.ticket_id <> OLD.ticket_id
        UNION SELECT OLD.unit_id WHERE NEW.unit_id <> OLD.unit_id OR NEW.ticket_id <> OLD.ticket_id;
END;
CREATE TRIGGER results_cards_delete AFTER DELETE ON trace_cards
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT grower_id FROM tickets WHERE id = OLD.ticket_id;
    INSERT INTO unit_marks (unit_id) VALUES (OLD.unit_id);
END;

-- Bales (only traced bales have a card).
CREATE TRIGGER results_bales_insert AFTER INSERT ON bales WHEN NEW.card_id IS NOT NULL
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT t.grower_id FROM trace_cards c JOIN tickets t ON t.id = c.ticket_id WHERE c.id = NEW.card_id;
    INSERT INTO unit_marks (unit_id) SELECT unit_id FROM trace_cards WHERE id = NEW.card_id;
END;
CREATE TRIGGER results_bales_update AFTER UPDATE ON bales
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT t.grower_id FROM trace_cards c JOIN tickets t ON t.id = c.ticket_id WHERE c.id IN (NEW.card_id, OLD.card_id);
    INSERT INTO unit_marks (unit_id) SELECT unit_id FROM trace_cards WHERE id IN (NEW.card_id, OLD.card_id);
END;
CREATE TRIGGER results_bales_delete AFTER DELETE ON bales WHEN OLD.card_id IS NOT NULL
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT t.grower_id FROM trace_cards c JOIN tickets t ON t.id = c.ticket_id WHERE c.id = OLD.card_id;
    INSERT INTO unit_marks (unit_id) SELECT unit_id FROM trace_cards WHERE id = OLD.card_id;
END;

-- Inspections.
CREATE TRIGGER results_inspections_insert AFTER INSERT ON inspections
BEGIN
    INSERT INTO grower_marks (grower_id)
        SELECT t.grower_id FROM bales b JOIN trace_cards c ON c.id = b.card_id JOIN tickets t ON t.id = c.ticket_id WHERE b.barcode = NEW.barcode;
    INSERT INTO unit_marks (unit_id) SELECT c.unit_id FROM bales b JOIN trace_cards c ON c.id = b.card_id WHERE b.barcode = NEW.barcode;
END;
CREATE TRIGGER results_inspections_update AFTER UPDATE ON inspections
BEGIN
    INSERT INTO grower_marks (grower_id)
        SELECT t.grower_id FROM bales b JOIN trace_cards c ON c.id = b.card_id JOIN tickets t ON t.id = c.ticket_id WHERE b.barcode IN (NEW.barcode, OLD.barcode);
    INSERT INTO unit_marks (unit_id) SELECT c.unit_id FROM bales b JOIN trace_cards c ON c.id = b.card_id WHERE b.barcode IN (NEW.barcode, OLD.barcode);
END;
CREATE TRIGGER results_inspections_delete AFTER DELETE ON inspections
BEGIN
    INSERT INTO grower_marks (grower_id)
        SELECT t.grower_id FROM bales b JOIN trace_cards c ON c.id = b.card_id JOIN tickets t ON t.id = c.ticket_id WHERE b.barcode = OLD.barcode;
    INSERT INTO unit_marks (unit_id) SELECT c.unit_id FROM bales b JOIN trace_cards c ON c.id = b.card_id WHERE b.barcode = OLD.barcode;
END;

-- Unit membership.
CREATE TRIGGER results_unit_plots_insert AFTER INSERT ON unit_plots
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT grower_id FROM plots WHERE id = NEW.plot_id;
END;
CREATE TRIGGER results_unit_plots_update AFTER UPDATE ON unit_plots
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT grower_id FROM plots WHERE id IN (NEW.plot_id, OLD.plot_id);
END;
CREATE TRIGGER results_unit_plots_delete AFTER DELETE ON unit_plots
BEGIN
    INSERT INTO grower_marks (grower_id) SELECT grower_id FROM plots WHERE id = OLD.plot_id;
END;

-- A plot moved to another grower (no code path does; the page must not depend on it).
CREATE TRIGGER results_plots_grower AFTER UPDATE ON plots WHEN OLD.grower_id IS NOT NEW.grower_id
BEGIN
    INSERT INTO grower_marks (grower_id) VALUES (OLD.grower_id);
    INSERT INTO grower_marks (grower_id) VALUES (NEW.grower_id);
END;

-- A unit's kind (legal person takes all of Q) or season (which page lists it).
CREATE TRIGGER results_units_kind AFTER UPDATE ON trace_units WHEN OLD.kind IS NOT NEW.kind OR OLD.season IS NOT NEW.season
BEGIN
    INSERT INTO unit_marks (unit_id) VALUES (NEW.id);
    INSERT INTO grower_marks (grower_id)
        SELECT DISTINCT p.grower_id FROM unit_plots up JOIN plots p ON p.id = up.plot_id WHERE up.unit_id = NEW.id;
END;
