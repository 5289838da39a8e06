DROP TRIGGER IF EXISTS audit_enterprise_printers_insert;
DROP TRIGGER IF EXISTS audit_enterprise_printers_update;
DROP TRIGGER IF EXISTS audit_enterprise_printers_delete;
DROP TABLE enterprise_printers;
