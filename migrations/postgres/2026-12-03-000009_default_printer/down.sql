DROP TABLE enterprise_printers;
