DROP TABLE enterprise_verifiers;
DROP TABLE bales;
DROP TABLE line_records;
DROP TABLE line_states;
