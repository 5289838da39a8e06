DROP TABLE unit_reviews;
DROP TABLE unit_plots;
DROP TABLE trace_units;
DROP TABLE plots;
DROP TABLE growers;
