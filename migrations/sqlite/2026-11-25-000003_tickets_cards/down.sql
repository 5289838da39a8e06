DROP TABLE card_exports;
DROP TABLE production_lines;
DROP TABLE print_records;
DROP TABLE trace_cards;
DROP TABLE ticket_plots;
DROP TABLE tickets;
