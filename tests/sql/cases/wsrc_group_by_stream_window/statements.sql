-- A windowed stream grouped into windows of its own: WINDOWSTART in the
-- projection is the new window's, in an aggregate the record's own.
CREATE STREAM s (k INT KEY, v STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='Session');
CREATE TABLE o AS SELECT v, WINDOWSTART AS ws, COUNT(*) AS n, MIN(WINDOWSTART) AS first_start FROM s WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY v;
