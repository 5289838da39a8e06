-- myResults precomputed (docs/decisions.md "myResults precomputed").
--
-- A grower's results page (units, tickets, cards, bales, inspections) and a unit's
-- premium allocation are computed once and kept in grower_results / unit_results.
-- Whether a kept row is still good is decided by the database, not by the server
-- that wrote it: every change of an input appends a mark for the grower (unit) in
-- the same transaction, through the triggers below, whoever the writer is. A
-- row's token is `folded + count(marks)`; the kept data is good while its
-- `data_token` equals the token. Marks are only ever inserted by writers (no
-- row of a shared counter is locked, so concurrent writers cannot deadlock on
-- it); the server that recomputes a row folds the marks it counted into `folded`.
-- Season rules are not marked: a unit's kept allocation names the premium
-- criteria it used and is recomputed when they differ (premium flags of
-- inspections are judged at read time, as before). Derived data: not audited.
CREATE TABLE grower_marks (
    id         BIGSERIAL PRIMARY KEY,
    grower_id  BIGINT NOT NULL
);
CREATE INDEX grower_marks_grower ON grower_marks(grower_id);

CREATE TABLE unit_marks (
    id       BIGSERIAL PRIMARY KEY,
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

-- Weigh tickets: the grower's list; a carded ticket's seed cotton is in its unit's S.
CREATE FUNCTION results_mark_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grower_marks (grower_id) SELECT DISTINCT grower_id FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO grower_marks (grower_id) SELECT grower_id FROM new_rows UNION SELECT grower_id FROM old_rows;
        INSERT INTO unit_marks (unit_id) SELECT DISTINCT c.unit_id FROM trace_cards c WHERE c.ticket_id IN (SELECT id FROM new_rows);
    ELSE
        INSERT INTO grower_marks (grower_id) SELECT DISTINCT grower_id FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER results_tickets_insert AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_tickets();
CREATE TRIGGER results_tickets_update AFTER UPDATE ON tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_tickets();
CREATE TRIGGER results_tickets_delete AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_tickets();

-- Trace cards: the ticket's card (status, processed weight); a new card adds its
-- ticket's seed cotton to the unit's S.
CREATE FUNCTION results_mark_cards() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grower_marks (grower_id) SELECT DISTINCT t.grower_id FROM new_rows c JOIN tickets t ON t.id = c.ticket_id;
        INSERT INTO unit_marks (unit_id) SELECT DISTINCT unit_id FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO grower_marks (grower_id)
            SELECT t.grower_id FROM new_rows c JOIN tickets t ON t.id = c.ticket_id
            UNION SELECT t.grower_id FROM old_rows c JOIN tickets t ON t.id = c.ticket_id;
        INSERT INTO unit_marks (unit_id)
            SELECT n.unit_id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.unit_id <> o.unit_id OR n.ticket_id <> o.ticket_id
            UNION SELECT o.unit_id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.unit_id <> o.unit_id OR n.ticket_id <> o.ticket_id;
    ELSE
        INSERT INTO grower_marks (grower_id) SELECT DISTINCT t.grower_id FROM old_rows c JOIN tickets t ON t.id = c.ticket_id;
        INSERT INTO unit_marks (unit_id) SELECT DISTINCT unit_id FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER results_cards_insert AFTER INSERT ON trace_cards REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_cards();
CREATE TRIGGER results_cards_update AFTER UPDATE ON trace_cards REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_cards();
CREATE TRIGGER results_cards_delete AFTER DELETE ON trace_cards REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_cards();

-- Bales: a card's bales; the unit's bale aggregate.
CREATE FUNCTION results_mark_bales() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO grower_marks (grower_id)
            SELECT DISTINCT t.grower_id FROM new_rows b JOIN trace_cards c ON c.id = b.card_id JOIN tickets t ON t.id = c.ticket_id;
        INSERT INTO unit_marks (unit_id) SELECT DISTINCT c.unit_id FROM new_rows b JOIN trace_cards c ON c.id = b.card_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO grower_marks (grower_id)
            SELECT DISTINCT t.grower_id FROM old_rows b JOIN trace_cards c ON c.id = b.card_id JOIN tickets t ON t.id = c.ticket_id;
        INSERT INTO unit_marks (unit_id) SELECT DISTINCT c.unit_id FROM old_rows b JOIN trace_cards c ON c.id = b.card_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER results_bales_insert AFTER INSERT ON bales REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_bales();
CREATE TRIGGER results_bales_update AFTER UPDATE ON bales REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_bales();
CREATE TRIGGER results_bales_delete AFTER DELETE ON bales REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_bales();

-- Inspections: a bale's inspection; the unit's premium total.
CREATE FUNCTION results_mark_inspections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO grower_marks (grower_id)
            SELECT DISTINCT t.grower_id FROM new_rows i JOIN bales b ON b.barcode = i.barcode
            JOIN trace_cards c ON c.id = b.card_id JOIN tickets t ON t.id = c.ticket_id;
        INSERT INTO unit_marks (unit_id)
            SELECT DISTINCT c.unit_id FROM new_rows i JOIN bales b ON b.barcode = i.barcode JOIN trace_cards c ON c.id = b.card_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO grower_marks (grower_id)
            SELECT DISTINCT t.grower_id FROM old_rows i JOIN bales b ON b.barcode = i.barcode
            JOIN trace_cards c ON c.id = b.card_id JOIN tickets t ON t.id = c.ticket_id;
        INSERT INTO unit_marks (unit_id)
            SELECT DISTINCT c.unit_id FROM old_rows i JOIN bales b ON b.barcode = i.barcode JOIN trace_cards c ON c.id = b.card_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER results_inspections_insert AFTER INSERT ON inspections REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_inspections();
CREATE TRIGGER results_inspections_update AFTER UPDATE ON inspections REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_inspections();
CREATE TRIGGER results_inspections_delete AFTER DELETE ON inspections REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_inspections();

-- Unit membership: which units hold the grower's plots (joined, left, dissolved).
CREATE FUNCTION results_mark_unit_plots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grower_marks (grower_id) SELECT DISTINCT p.grower_id FROM new_rows up JOIN plots p ON p.id = up.plot_id;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO grower_marks (grower_id)
            SELECT p.grower_id FROM new_rows up JOIN plots p ON p.id = up.plot_id
            UNION SELECT p.grower_id FROM old_rows up JOIN plots p ON p.id = up.plot_id;
    ELSE
        INSERT INTO grower_marks (grower_id) SELECT DISTINCT p.grower_id FROM old_rows up JOIN plots p ON p.id = up.plot_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER results_unit_plots_insert AFTER INSERT ON unit_plots REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_unit_plots();
CREATE TRIGGER results_unit_plots_update AFTER UPDATE ON unit_plots REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_unit_plots();
CREATE TRIGGER results_unit_plots_delete AFTER DELETE ON unit_plots REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION results_mark_unit_plots();

-- A plot moved to another grower (no code path does; the page must not depend on it).
CREATE FUNCTION results_mark_plot_grower() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO grower_marks (grower_id) VALUES (OLD.grower_id), (NEW.grower_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER results_plots_grower AFTER UPDATE ON plots
    FOR EACH ROW WHEN (OLD.grower_id IS DISTINCT FROM NEW.grower_id) EXECUTE FUNCTION results_mark_plot_grower();

-- A unit's kind decides whether its legal person takes all of Q; its season which
-- page lists it. (Status and names are read fresh with the unit row.)
CREATE FUNCTION results_mark_unit_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unit_marks (unit_id) VALUES (NEW.id);
    INSERT INTO grower_marks (grower_id)
        SELECT DISTINCT p.grower_id FROM unit_plots up JOIN plots p ON p.id = up.plot_id WHERE up.unit_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER results_units_kind AFTER UPDATE ON trace_units
    FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.season IS DISTINCT FROM NEW.season)
    EXECUTE FUNCTION results_mark_unit_kind();
