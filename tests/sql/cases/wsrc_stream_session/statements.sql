-- A stream over session-windowed keys (key, end, start): WINDOWSTART and
-- WINDOWEND read the session's bounds; the result keeps them.
CREATE STREAM s (k INT KEY, v STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='session');
CREATE STREAM o AS SELECT k, UCASE(v) AS u, WINDOWEND - WINDOWSTART AS len FROM s;
