-- Issue 15 item 7 (SPEC §7): the printer model each enterprise's cards print on
-- when the operator names none (setDefaultPrinter). One row per enterprise; the
-- model is one a loaded printer plugin served when it was set (checked by the
-- server: plugins are loaded at start, so the database cannot know them).
CREATE TABLE enterprise_printers (
    enterprise_id  BIGINT PRIMARY KEY REFERENCES orgs(id),
    model          TEXT NOT NULL CHECK (length(model) BETWEEN 1 AND 32 AND model = trim(model)),
    set_by         BIGINT NOT NULL REFERENCES accounts(id),
    set_at         TIMESTAMP NOT NULL
);

-- Audited like every enterprise setting (the generic trigger of 000006).
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON enterprise_printers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append('enterprise_id');
