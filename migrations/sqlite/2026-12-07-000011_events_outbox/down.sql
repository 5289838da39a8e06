DROP TRIGGER events_seq;
DROP TABLE events;
DELETE FROM app_meta WHERE key = 'events_pruned_through';
