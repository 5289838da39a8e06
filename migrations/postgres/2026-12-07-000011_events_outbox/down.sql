DROP TABLE events;
DROP SEQUENCE event_seq;
DELETE FROM app_meta WHERE key = 'events_pruned_through';
